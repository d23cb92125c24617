#pragma once
// NATS subject names of the fleet's bus (issue 25), one place for the publisher, the
// tests and the wallboard that will read them:
//   tonewatch.events.<instance>.<call>.<class>  each event of a call (JetStream stream TONEWATCH_EVENTS);
//                                         class "notify" for what webhooks deliver (alerts and their
//                                         acknowledgements), "event" for the rest
//   tonewatch.heartbeat.<instance>        once a second while the instance runs (core NATS)
//   tonewatch.calls.<instance>            once a second: its live and recent calls, for the fleet's wallboards (core NATS)
//   tonewatch.acks.<instance>             an acknowledgement made elsewhere of an alert the instance holds (core NATS)
// NATS subjects are '.'-separated tokens; a token may not be empty nor hold '.', '*',
// '>' or white space (NATS "Subject-Based Messaging": subject names).

#include <cstdint>
#include <string>
#include <string_view>

namespace tw::bus {

/// The JetStream stream that keeps every instance's events.
inline constexpr std::string_view kEventStream = "TONEWATCH_EVENTS";
/// What that stream takes: every instance's and every call's events.
inline constexpr std::string_view kEventSubjects = "tonewatch.events.>";

/// `text` as one subject token: '.', '*', '>', white space and control bytes become '_',
/// and an empty text "_". Other bytes (UTF-8 included) are kept.
std::string subject_token(std::string_view text);

/// "tonewatch.events.<instance>.<call>.notify" (`notify`: an event webhooks deliver) or
/// ".event", each part made a token.
std::string event_subject(std::string_view instance, std::string_view call_id, bool notify);

/// What the fleet's webhook queue reads: every instance's and call's notify events.
inline constexpr std::string_view kNotifyEvents = "tonewatch.events.*.*.notify";

/// "tonewatch.heartbeat.<instance>".
std::string heartbeat_subject(std::string_view instance);

/// "tonewatch.calls.<instance>".
std::string calls_subject(std::string_view instance);

/// "tonewatch.acks.<instance>".
std::string acks_subject(std::string_view instance);

/// "tonewatch.view.<instance>": requests for what a wallboard's call view shows of a call
/// that instance holds (its timeline, its report), answered by the instance.
std::string view_subject(std::string_view instance);

/// What a subscriber to every instance's heartbeats, calls and events subscribes to.
inline constexpr std::string_view kAllEvents = "tonewatch.events.>";
inline constexpr std::string_view kAllHeartbeats = "tonewatch.heartbeat.>";
inline constexpr std::string_view kAllCalls = "tonewatch.calls.>";

/// The JetStream message id of an event (its de-duplication key, the Nats-Msg-Id header):
/// "<instance>:<run>:<call>:<sequence>". JetStream de-duplicates across the whole stream,
/// so call:sequence alone (a webhook's idempotency key) is not enough: two instances
/// may see one call id (the two legs of an AudioSocket call sent to two instances, a
/// stream reconnecting elsewhere), and a restarted instance numbers a reused call id's
/// events from 1 again. `run` tells one run of the instance from the next.
std::string event_message_id(std::string_view instance, std::string_view run, std::string_view call_id, std::uint64_t sequence);

/// True when `instance` can name an instance: 1 to 64 bytes of letters, digits, '-' and '_'
/// (it is a subject token and a label in /metrics and on the wallboard).
bool valid_instance_id(std::string_view instance) noexcept;

}  // namespace tw::bus
