#pragma once
// The JetStream stream of every instance's events (TONEWATCH_EVENTS, bus_subjects.h): found,
// or made by the first instance that needs it, with the same settings whoever makes it.

#include <chrono>
#include <string>

struct __jsCtx;

namespace tw::bus {

/// Finds the stream or creates it (file storage, events kept `max_age`, a 10-minute
/// duplicate window). Returns "" when it exists now, else why not (nats.c's reason).
/// `created` is set when this call made it.
std::string ensure_event_stream(__jsCtx* jetstream, std::chrono::hours max_age, bool& created);

}  // namespace tw::bus
