// Events as JSON: what to_json writes (rounding, NaN as null), that
// event_from_json reads it back for every kind, state and severity, and that
// malformed events are refused with a message.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "alerts/event.h"
#include "alerts/event_sink.h"

using tw::alerts::Event;
using tw::alerts::event_from_json;
using tw::alerts::EventKind;
using tw::alerts::EventState;
using tw::alerts::Severity;
using tw::detect::Evidence;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Values already at the written precision (times 2 decimals, values 3,
// deviations 2), so the round trip is exact.
Event sample(EventKind kind, Severity severity, EventState state) {
  Event e;
  e.call_id = "call-0042";
  e.sequence = 17;
  e.time_s = 63.25;
  e.kind = kind;
  e.type = "agent_raised_voice";
  e.severity = severity;
  e.state = state;
  e.speaker = "agent";
  e.since_s = 58.5;
  e.message = "agent's voice is raised: loudness_db -17.2 (baseline -23.0, +2.9 units)";
  e.evidence.push_back(Evidence{"loudness_db", -17.25f, -23.0f, 2.88f, 58.5});
  e.evidence.push_back(Evidence{"overlap_s", 1.5f, kNaN, kNaN, 57.0});
  e.details = {{"interrupter", "agent"}, {"interrupted_turn_s", 3.25}, {"end_of_call", false}};
  return e;
}

void require_same(const Event& a, const Event& b) {
  CHECK(a.call_id == b.call_id);
  CHECK(a.sequence == b.sequence);
  CHECK(a.time_s == b.time_s);
  CHECK(a.kind == b.kind);
  CHECK(a.type == b.type);
  CHECK(a.severity == b.severity);
  CHECK(a.state == b.state);
  CHECK(a.speaker == b.speaker);
  CHECK(a.message == b.message);
  CHECK(a.details == b.details);
  if (std::isnan(a.since_s)) {
    CHECK(std::isnan(b.since_s));
  } else {
    CHECK(a.since_s == b.since_s);
  }
  REQUIRE(a.evidence.size() == b.evidence.size());
  auto same = [](double x, double y) { return std::isnan(x) ? std::isnan(y) : x == y; };
  for (std::size_t i = 0; i < a.evidence.size(); ++i) {
    INFO("evidence " << i << ": " << a.evidence[i].feature);
    CHECK(a.evidence[i].feature == b.evidence[i].feature);
    CHECK(same(a.evidence[i].value, b.evidence[i].value));
    CHECK(same(a.evidence[i].baseline, b.evidence[i].baseline));
    CHECK(same(a.evidence[i].deviation, b.evidence[i].deviation));
    CHECK(same(a.evidence[i].since_s, b.evidence[i].since_s));
  }
}

// Through text, as a JSON-lines reader would see it.
Event round_trip(const Event& e) { return event_from_json(nlohmann::json::parse(to_json(e).dump())); }

void require_rejected(const nlohmann::json& j, const std::string& message_part) {
  try {
    (void)event_from_json(j);
  } catch (const std::invalid_argument& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(message_part) != std::string::npos);
    return;
  }
  FAIL("accepted a malformed event; expected an error mentioning '" << message_part << "'");
}

}  // namespace

TEST_CASE("every kind / state and severity survives the JSON round trip", "[alerts][json]") {
  for (EventKind kind : {EventKind::event, EventKind::alert}) {
    for (Severity severity : {Severity::info, Severity::warning, Severity::critical}) {
      for (EventState state : {EventState::opened, EventState::closed, EventState::instant}) {
        INFO(to_string(kind) << " " << to_string(severity) << " " << to_string(state));
        const Event e = sample(kind, severity, state);
        const nlohmann::json j = to_json(e);
        CHECK(j.at("kind") == std::string(to_string(kind)));
        CHECK(j.at("severity") == std::string(to_string(severity)));
        CHECK(j.at("state") == std::string(to_string(state)));
        require_same(e, round_trip(e));
      }
    }
  }
}

TEST_CASE("the enum names are the documented schema words", "[alerts][json]") {
  CHECK(to_string(EventKind::event) == "event");
  CHECK(to_string(EventKind::alert) == "alert");
  CHECK(to_string(Severity::info) == "info");
  CHECK(to_string(Severity::warning) == "warning");
  CHECK(to_string(Severity::critical) == "critical");
  CHECK(to_string(EventState::opened) == "opened");
  CHECK(to_string(EventState::closed) == "closed");
  CHECK(to_string(EventState::instant) == "instant");
}

TEST_CASE("event JSON carries every field / rounded / with NaN written as null", "[alerts][json]") {
  Event e = sample(EventKind::alert, Severity::critical, EventState::instant);
  e.time_s = 12.3456;
  e.evidence[0].value = -17.23456f;
  e.evidence[0].deviation = 2.8765f;
  const nlohmann::json j = to_json(e);
  for (const char* key : {"call", "time_s", "kind", "type", "severity", "state", "speaker", "since_s", "message",
                          "evidence", "details"}) {
    CHECK(j.contains(key));
  }
  CHECK(j.at("call") == "call-0042");
  CHECK(j.at("time_s").get<double>() == Approx(12.35).margin(1e-9));
  const nlohmann::json& loud = j.at("evidence").at(0);
  CHECK(loud.at("value").get<double>() == Approx(-17.235).margin(1e-6));
  CHECK(loud.at("deviation").get<double>() == Approx(2.88).margin(1e-6));
  const nlohmann::json& overlap = j.at("evidence").at(1);
  CHECK(overlap.at("baseline").is_null());
  CHECK(overlap.at("deviation").is_null());
  CHECK(overlap.at("value").get<double>() == Approx(1.5));

  SECTION("null evidence reads back as NaN") {
    const Event back = event_from_json(j);
    CHECK(std::isnan(back.evidence[1].baseline));
    CHECK(std::isnan(back.evidence[1].deviation));
    CHECK(back.evidence[1].value == 1.5f);
  }
  SECTION("a NaN since_s is written as null and read back as NaN") {
    e.since_s = NAN;
    e.evidence[0].since_s = NAN;
    const nlohmann::json k = to_json(e);
    CHECK(k.at("since_s").is_null());
    CHECK(k.at("evidence").at(0).at("since_s").is_null());
    // The line must still be valid JSON (a bare NaN is not).
    const Event back = event_from_json(nlohmann::json::parse(k.dump()));
    CHECK(std::isnan(back.since_s));
    CHECK(std::isnan(back.evidence[0].since_s));
  }
  SECTION("infinities are written as null too") {
    e.evidence[0].value = INFINITY;
    CHECK(to_json(e).at("evidence").at(0).at("value").is_null());
  }
}

TEST_CASE("optional event fields default when absent", "[alerts][json]") {
  const nlohmann::json minimal = {{"call", "c"}, {"time_s", 5}, {"kind", "event"}, {"type", "dead_air"},
                                  {"severity", "info"}, {"state", "instant"}};
  const Event e = event_from_json(minimal);
  CHECK(e.time_s == 5.0);
  CHECK(e.speaker.empty());
  CHECK(e.message.empty());
  CHECK(e.evidence.empty());
  CHECK(e.details.is_object());
  CHECK(std::isnan(e.since_s));
}

TEST_CASE("malformed events are refused with a message", "[alerts][json]") {
  const nlohmann::json good = to_json(sample(EventKind::event, Severity::warning, EventState::opened));
  REQUIRE_NOTHROW(event_from_json(good));

  SECTION("missing call id") {
    nlohmann::json j = good;
    j.erase("call");
    require_rejected(j, "malformed event");
  }
  SECTION("missing time") {
    nlohmann::json j = good;
    j.erase("time_s");
    require_rejected(j, "malformed event");
  }
  SECTION("time as a string") {
    nlohmann::json j = good;
    j["time_s"] = "63.25";
    require_rejected(j, "malformed event");
  }
  SECTION("unknown kind") {
    nlohmann::json j = good;
    j["kind"] = "page";
    require_rejected(j, "unknown kind 'page'");
  }
  SECTION("unknown severity") {
    nlohmann::json j = good;
    j["severity"] = "fatal";
    require_rejected(j, "unknown severity 'fatal'");
  }
  SECTION("unknown state") {
    nlohmann::json j = good;
    j["state"] = "ongoing";
    require_rejected(j, "unknown state 'ongoing'");
  }
  SECTION("speaker that is not a string") {
    nlohmann::json j = good;
    j["speaker"] = 2;
    require_rejected(j, "malformed event");
  }
  SECTION("evidence without a feature name") {
    nlohmann::json j = good;
    j["evidence"][0].erase("feature");
    require_rejected(j, "malformed event");
  }
  SECTION("evidence that is not a list of objects") {
    nlohmann::json j = good;
    j["evidence"] = "loud";
    require_rejected(j, "malformed event");
  }
  SECTION("not an object at all") {
    require_rejected(nlohmann::json::array({1, 2}), "malformed event");
  }
}

TEST_CASE("the JSON-lines sink writes one parseable event per line", "[alerts][json]") {
  std::ostringstream out;
  tw::alerts::JsonLinesSink sink(out);
  const Event a = sample(EventKind::event, Severity::info, EventState::opened);
  const Event b = sample(EventKind::alert, Severity::critical, EventState::instant);
  sink.on_event(a);
  sink.on_event(b);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<Event> back;
  while (std::getline(lines, line)) back.push_back(event_from_json(nlohmann::json::parse(line)));
  REQUIRE(back.size() == 2);
  require_same(a, back[0]);
  require_same(b, back[1]);
}
