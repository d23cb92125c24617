#pragma once
// Events and supervisor alerts, with the evidence that explains them. One
// schema for batch and live (see docs/how-it-works.md, "Events and alerts").

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/evidence.h"

namespace tw::alerts {

enum class Severity { info, warning, critical };
/// opened/closed bracket an episode (an agent raising their voice for a while);
/// instant events happen at one moment (an interruption, a stage change).
enum class EventState { opened, closed, instant };
/// Events describe the call; alerts ask a supervisor to look now.
enum class EventKind { event, alert };

std::string_view to_string(Severity) noexcept;
std::string_view to_string(EventState) noexcept;
std::string_view to_string(EventKind) noexcept;

struct Event {
  std::string call_id;
  /// 1, 2, ... in the order the call's events were raised (0: not numbered). With
  /// call_id, the event's identity: a webhook's idempotency key, a feed's resume point.
  std::uint64_t sequence = 0;
  double time_s = 0.0;          ///< stream time the event was raised (from sample counts)
  EventKind kind = EventKind::event;
  std::string type;             ///< e.g. "agent_raised_voice", "interruption", "supervisor_alert"
  Severity severity = Severity::info;
  EventState state = EventState::instant;
  std::string speaker;          ///< "caller", "agent", or "" for the call as a whole
  double since_s = 0.0;         ///< when the condition began
  std::string message;          ///< one line a supervisor can read
  std::vector<detect::Evidence> evidence;
  nlohmann::json details = nlohmann::json::object();  ///< type-specific fields (interrupter, stage, reason...)
};

/// A number for JSON output, rounded to `decimals` places; null for NaN and
/// infinities (JSON has no NaN). Shared by every JSON writer of the product.
nlohmann::json json_number(double value, int decimals);

/// The JSON object of an event (one JSON line in a stream).
nlohmann::json to_json(const Event& event);
/// Parses what to_json wrote. Throws std::invalid_argument on a malformed event.
Event event_from_json(const nlohmann::json& json);

}  // namespace tw::alerts
