// The live timeline the dashboard's call view reads: copied incrementally by the
// worker, it always equals the session's timeline; filtered by time it gives just
// the newer seconds; past its limits it keeps the newest; a reset source resyncs.

#include <catch2/catch.hpp>

#include <cmath>

#include "server/timeline_snapshot.h"
#include "support/config_checks.h"

namespace {

using tw::pipeline::CallTimeline;
using tw::pipeline::SpeakerSecond;

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

bool same_seconds(const std::vector<SpeakerSecond>& a, const std::vector<SpeakerSecond>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].time_s != b[i].time_s || !same(a[i].agitation, b[i].agitation) || !same(a[i].score, b[i].score) ||
        !same(a[i].loudness_db, b[i].loudness_db) || !same(a[i].f0_median_hz, b[i].f0_median_hz) ||
        !same(a[i].speaking_rate_syl_per_s, b[i].speaking_rate_syl_per_s) || a[i].scored != b[i].scored ||
        a[i].speech_s != b[i].speech_s || a[i].baseline_established != b[i].baseline_established) {
      return false;
    }
  }
  return true;
}

void check_equal(const CallTimeline& copy, const CallTimeline& source) {
  CHECK(copy.call_id == source.call_id);
  CHECK(copy.duration_s == source.duration_s);
  CHECK(copy.roles == source.roles);
  CHECK(same_seconds(copy.caller, source.caller));
  CHECK(same_seconds(copy.agent, source.agent));
  REQUIRE(copy.stages.size() == source.stages.size());
  for (std::size_t i = 0; i < copy.stages.size(); ++i) {
    CHECK(copy.stages[i].stage == source.stages[i].stage);
    CHECK(copy.stages[i].end_s == source.stages[i].end_s);
  }
  REQUIRE(copy.events.size() == source.events.size());
  for (std::size_t i = 0; i < copy.events.size(); ++i) CHECK(tw::alerts::to_json(copy.events[i]) == tw::alerts::to_json(source.events[i]));
  CHECK(copy.overlaps.size() == source.overlaps.size());
  CHECK(copy.silences.size() == source.silences.size());
  CHECK(copy.escalations == source.escalations);
  CHECK(copy.relapses == source.relapses);
  CHECK(copy.time_to_calm_s == source.time_to_calm_s);
}

/// One second of a made-up call, the way CallMonitor grows its timeline.
void grow(CallTimeline& t, int second) {
  const double time_s = second;
  SpeakerSecond caller;
  caller.time_s = time_s;
  caller.agitation = static_cast<float>(0.5 + 0.4 * std::sin(second * 0.1));
  caller.score = caller.agitation + 0.05f;
  caller.scored = second % 7 != 0;
  caller.loudness_db = second % 11 == 0 ? NAN : static_cast<float>(-30 + second % 5);
  caller.f0_median_hz = static_cast<float>(180 + second % 13);
  caller.speaking_rate_syl_per_s = static_cast<float>(4 + second % 3);
  caller.speech_s = 2.0f;
  t.caller.push_back(caller);
  SpeakerSecond agent = caller;
  agent.agitation = 0.2f;
  t.agent.push_back(agent);
  t.duration_s = time_s;
  t.stages.back().end_s = time_s;
  if (second % 30 == 0) {
    t.stages.push_back({second % 60 == 0 ? tw::detect::Stage::calm : tw::detect::Stage::venting, time_s, time_s});
    tw::alerts::Event e;
    e.call_id = t.call_id;
    e.sequence = t.events.size() + 1;
    e.time_s = time_s;
    e.type = "stage_change";
    e.message = "stage " + std::to_string(second);
    t.events.push_back(e);
    t.escalations += second % 60 != 0;
  }
  if (second % 9 == 0) t.overlaps.push_back({time_s - 0.5, time_s, "caller"});
  if (second % 17 == 0) t.silences.push_back({time_s - 3.0, time_s, ""});
}

CallTimeline fresh(const std::string& id) {
  CallTimeline t;
  t.call_id = id;
  t.roles = {"caller", "agent"};
  t.stages.push_back({tw::detect::Stage::calm, 0.0, 0.0});
  return t;
}

}  // namespace

TEST_CASE("the live timeline copy equals the session's timeline after every update", "[server][dashboard]") {
  tw::server::TimelineSnapshot snapshot;
  CallTimeline source = fresh("c1");
  for (int second = 1; second <= 400; ++second) {
    grow(source, second);
    // The worker updates once a second, sometimes after a pause of several.
    if (second % 3 == 0 || second > 390) snapshot.update(source);
  }
  check_equal(snapshot.copy(), source);
  CHECK(snapshot.dropped() == 0);

  double last_s = 0.0;
  const std::vector<float> recent = snapshot.recent_agitation(60, last_s);
  REQUIRE(recent.size() == 60);
  CHECK(last_s == 400.0);
  CHECK(recent.front() == source.caller[340].agitation);
  CHECK(recent.back() == source.caller[399].agitation);
  CHECK(snapshot.recent_agitation(10'000, last_s).size() == 400);
}

TEST_CASE("the live timeline gives only the seconds after a time when asked", "[server][dashboard]") {
  tw::server::TimelineSnapshot snapshot;
  CallTimeline source = fresh("c2");
  for (int second = 1; second <= 120; ++second) grow(source, second);
  snapshot.update(source);
  const CallTimeline newer = snapshot.copy(100.0);
  REQUIRE(newer.caller.size() == 20);
  CHECK(newer.caller.front().time_s == 101.0);
  CHECK(newer.agent.back().time_s == 120.0);
  // Everything but the seconds is whole.
  CHECK(newer.events.size() == source.events.size());
  CHECK(newer.stages.size() == source.stages.size());
  CHECK(newer.overlaps.size() == source.overlaps.size());
  CHECK(newer.duration_s == 120.0);
  CHECK(snapshot.copy(120.0).caller.empty());
  CHECK(snapshot.copy(0.0).caller.size() == 120);
  // The earlier seconds and the newer ones make the whole.
  std::vector<SpeakerSecond> merged(source.caller.begin(), source.caller.begin() + 100);
  merged.insert(merged.end(), newer.caller.begin(), newer.caller.end());
  CHECK(same_seconds(merged, source.caller));
}

TEST_CASE("the live timeline keeps within its limits / the newest seconds and events", "[server][dashboard]") {
  tw::server::TimelineLimits limits;
  limits.max_seconds = 100;
  limits.max_events = 8;
  tw::server::TimelineSnapshot snapshot(limits);
  CallTimeline source = fresh("c3");
  for (int second = 1; second <= 1000; ++second) {
    grow(source, second);
    snapshot.update(source);
    const CallTimeline copy = snapshot.copy();
    // At most an eighth over the limit before a trim, never under it once reached.
    REQUIRE(copy.caller.size() <= 100 + 100 / 8);
    REQUIRE(copy.caller.size() >= std::min<std::size_t>(second, 100));
    REQUIRE(copy.caller.back().time_s == second);
    REQUIRE(copy.events.size() <= 8 + 1);
  }
  const CallTimeline copy = snapshot.copy();
  const std::vector<SpeakerSecond> newest(source.caller.end() - static_cast<std::ptrdiff_t>(copy.caller.size()), source.caller.end());
  CHECK(same_seconds(copy.caller, newest));
  CHECK(tw::alerts::to_json(copy.events.back()) == tw::alerts::to_json(source.events.back()));
  CHECK(snapshot.dropped() > 0);
}

TEST_CASE("the live timeline starts over when its source was reset", "[server][dashboard]") {
  tw::server::TimelineSnapshot snapshot;
  CallTimeline source = fresh("c4");
  for (int second = 1; second <= 50; ++second) grow(source, second);
  snapshot.update(source);
  source = fresh("c4");
  for (int second = 1; second <= 10; ++second) grow(source, second);
  snapshot.update(source);
  check_equal(snapshot.copy(), source);
}

TEST_CASE("the live timeline refuses limits that keep nothing", "[server][dashboard]") {
  tw::server::TimelineLimits limits;
  limits.max_seconds = 0.5;
  tw::test::check_rejected("keeps at least a second", [&] { tw::server::TimelineSnapshot s(limits); }, "max_seconds");
  limits = {};
  limits.max_events = 0;
  tw::test::check_rejected("keeps at least an event", [&] { tw::server::TimelineSnapshot s(limits); }, "max_events");
}
