#include "alerts/event.h"

#include <cmath>
#include <stdexcept>

namespace tw::alerts {
namespace {

double number_or_nan(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

template <class Enum, std::size_t N>
Enum parse_enum(const std::string& text, const Enum (&values)[N], const char* what) {
  for (Enum v : values) {
    if (to_string(v) == text) return v;
  }
  throw std::invalid_argument(std::string("unknown ") + what + " '" + text + "'");
}

}  // namespace

nlohmann::json json_number(double value, int decimals) {
  if (!std::isfinite(value)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::critical: return "critical";
  }
  return "info";
}

std::string_view to_string(EventState s) noexcept {
  switch (s) {
    case EventState::opened: return "opened";
    case EventState::closed: return "closed";
    case EventState::instant: return "instant";
  }
  return "instant";
}

std::string_view to_string(EventKind k) noexcept { return k == EventKind::alert ? "alert" : "event"; }

nlohmann::json to_json(const Event& e) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const detect::Evidence& x : e.evidence) {
    evidence.push_back({{"feature", x.feature},
                        {"value", json_number(x.value, 3)},
                        {"baseline", json_number(x.baseline, 3)},
                        {"deviation", json_number(x.deviation, 2)},
                        {"since_s", json_number(x.since_s, 2)}});
  }
  return {{"call", e.call_id},
          {"seq", e.sequence},
          {"time_s", json_number(e.time_s, 2)},
          {"kind", to_string(e.kind)},
          {"type", e.type},
          {"severity", to_string(e.severity)},
          {"state", to_string(e.state)},
          {"speaker", e.speaker},
          {"since_s", json_number(e.since_s, 2)},
          {"message", e.message},
          {"evidence", evidence},
          {"details", e.details}};
}

Event event_from_json(const nlohmann::json& j) {
  try {
    Event e;
    e.call_id = j.at("call").get<std::string>();
    e.sequence = j.value("seq", std::uint64_t{0});
    e.time_s = j.at("time_s").get<double>();
    e.kind = parse_enum(j.at("kind").get<std::string>(), {EventKind::event, EventKind::alert}, "kind");
    e.type = j.at("type").get<std::string>();
    e.severity = parse_enum(j.at("severity").get<std::string>(), {Severity::info, Severity::warning, Severity::critical},
                            "severity");
    e.state = parse_enum(j.at("state").get<std::string>(),
                         {EventState::opened, EventState::closed, EventState::instant}, "state");
    e.speaker = j.value("speaker", "");
    e.since_s = number_or_nan(j, "since_s");
    e.message = j.value("message", "");
    for (const nlohmann::json& x : j.value("evidence", nlohmann::json::array())) {
      e.evidence.push_back(detect::Evidence{x.at("feature").get<std::string>(), static_cast<float>(number_or_nan(x, "value")),
                                            static_cast<float>(number_or_nan(x, "baseline")),
                                            static_cast<float>(number_or_nan(x, "deviation")), number_or_nan(x, "since_s")});
    }
    e.details = j.value("details", nlohmann::json::object());
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw std::invalid_argument(std::string("malformed event: ") + ex.what());
  }
}

}  // namespace tw::alerts
