#pragma once
// The JetStream stream of every instance's events (TONEWATCH_EVENTS, bus_subjects.h): found,
// or made by the first instance that needs it, with the same settings whoever makes it.

#include <chrono>
#include <string>

struct __jsCtx;

namespace tw::bus {

/// Finds the stream or creates it (file storage, events kept `max_age`, a 10-minute
/// duplicate window, `replicas` copies on as many servers of a JetStream cluster). Returns
/// "" when it exists now, else why not (nats.c's reason; a cluster smaller than `replicas`
/// says "insufficient resources"). `created` is set when this call made it. A stream found
/// is used as it is.
std::string ensure_event_stream(__jsCtx* jetstream, std::chrono::hours max_age, int replicas, bool& created);

}  // namespace tw::bus
