// StageTracker, once a second on scripted inputs: calm -> escalating -> venting
// -> disarming -> calm, time to calm, relapses, the venting stall, the config checks.

#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "detect/deescalation_stage.h"

using tw::detect::Stage;
using tw::detect::StageConfig;
using tw::detect::StageInputs;
using tw::detect::StageTracker;
using tw::detect::StageUpdate;

namespace {

// What the caller and agent are doing in one second (default config: agitated at
// 0.6, calm at 0.4, venting with caller >= 0.45 and agent <= 0.25 of the floor,
// disarming with the agent >= 0.2).
struct Second {
  float agitation;
  bool rising = false;
  float slope_per_min = 0.0f;
  float caller_share = 0.3f;
  float agent_share = 0.3f;
};

const Second kCalm{0.2f};
const Second kAngry{0.7f, false, 0.0f, 0.3f, 0.3f};       // agitated, both talking
const Second kVenting{0.75f, false, 0.0f, 0.7f, 0.1f};    // agitated, caller holds the floor
const Second kEasing{0.5f, false, -0.5f, 0.35f, 0.4f};    // falling, the agent responds
const Second kRelapse{0.7f, true, 0.8f, 0.5f, 0.3f};      // climbing again

struct Run {
  StageTracker tracker{StageConfig{}};
  double t = 0.0;
  std::vector<std::pair<double, StageUpdate>> changes;  // every update that changed or flagged something
  const StageUpdate& second(const Second& s) {
    t += 1.0;
    const StageUpdate& u =
        tracker.update(StageInputs{t, s.agitation, s.rising, s.slope_per_min, s.caller_share, s.agent_share});
    if (u.changed || u.escalated || u.relapsed || u.venting_stalled) changes.push_back({t, u});
    return u;
  }
  const StageUpdate& seconds(int n, const Second& s) {
    for (int i = 1; i < n; ++i) second(s);
    return second(s);
  }
};

}  // namespace

TEST_CASE("a call runs calm -> escalating -> venting -> disarming -> calm", "[detect][stage]") {
  Run r;
  CHECK(r.seconds(5, kCalm).changed == false);
  CHECK(r.tracker.stage() == Stage::calm);

  const StageUpdate up = r.second(kAngry);  // t = 6
  CHECK(up.changed);
  CHECK(up.from == Stage::calm);
  CHECK(up.to == Stage::escalating);
  CHECK(up.escalated);
  CHECK_FALSE(up.relapsed);  // the first escalation is not a relapse
  CHECK(r.tracker.escalations() == 1);
  CHECK(r.tracker.stage_since_s() == 6.0);

  // Agitated, but both talking: no venting.
  CHECK_FALSE(r.seconds(3, kAngry).changed);
  CHECK(r.tracker.stage() == Stage::escalating);

  const StageUpdate vent = r.second(kVenting);  // t = 10
  CHECK(vent.changed);
  CHECK(vent.to == Stage::venting);
  CHECK_FALSE(vent.escalated);
  r.seconds(10, kVenting);
  CHECK(r.tracker.stage() == Stage::venting);

  const StageUpdate disarm = r.second(kEasing);  // t = 21
  CHECK(disarm.changed);
  CHECK(disarm.from == Stage::venting);
  CHECK(disarm.to == Stage::disarming);

  // Calm from 22; calm_hold_s = 8: calm at 30, not before.
  const StageUpdate held = r.seconds(7, kCalm);  // 22..28
  CHECK(r.tracker.stage() == Stage::disarming);
  CHECK_FALSE(held.changed);
  r.second(kCalm);  // 29
  CHECK(r.tracker.stage() == Stage::disarming);
  const StageUpdate calm = r.second(kCalm);  // 30
  CHECK(calm.changed);
  CHECK(calm.to == Stage::calm);
  CHECK(calm.time_to_calm_s == Approx(24.0));  // 6 -> 30
  CHECK(r.tracker.time_to_calm_s() == Approx(24.0));
  CHECK(r.tracker.relapses() == 0);
}

TEST_CASE("a rising trend escalates before the level is agitated", "[detect][stage]") {
  Run r;
  r.seconds(3, kCalm);
  const StageUpdate u = r.second(Second{0.45f, true, 1.0f});
  CHECK(u.to == Stage::escalating);
  CHECK(u.escalated);
  // Not rising and not agitated: calm stays calm.
  Run q;
  CHECK_FALSE(q.seconds(20, Second{0.55f, false, 0.5f}).changed);
  CHECK(q.tracker.stage() == Stage::calm);
}

TEST_CASE("disarming needs the agitation falling and the agent responding", "[detect][stage]") {
  SECTION("from escalating") {
    Run r;
    r.second(kAngry);
    REQUIRE(r.tracker.stage() == Stage::escalating);
    // Falling but the agent silent: still escalating.
    r.seconds(3, Second{0.5f, false, -0.5f, 0.3f, 0.05f});
    CHECK(r.tracker.stage() == Stage::escalating);
    // The agent responding but the level still climbing: still escalating.
    r.seconds(3, Second{0.5f, false, 0.4f, 0.3f, 0.4f});
    CHECK(r.tracker.stage() == Stage::escalating);
    CHECK(r.second(kEasing).to == Stage::disarming);
  }
  SECTION("from venting: not while the caller still holds the floor") {
    Run r;
    r.second(kAngry);
    r.second(kVenting);
    REQUIRE(r.tracker.stage() == Stage::venting);
    // Falling, the agent at 0.22 (responding, yet still 'listening'), the caller
    // at 0.6 of the floor: still venting.
    r.seconds(5, Second{0.55f, false, -0.5f, 0.6f, 0.22f});
    CHECK(r.tracker.stage() == Stage::venting);
    CHECK(r.second(kEasing).to == Stage::disarming);
  }
  SECTION("a call that calms without a visible exchange passes through disarming") {
    Run r;
    r.second(kAngry);
    // Calm, but the agent silent: after calm_hold_s -> disarming, after another -> calm.
    const Second quiet_calm{0.2f, false, -0.5f, 0.3f, 0.0f};
    r.seconds(8, quiet_calm);  // 2..9
    CHECK(r.tracker.stage() == Stage::escalating);
    CHECK(r.second(quiet_calm).to == Stage::disarming);  // 10: calm since 2
    CHECK(r.second(kCalm).to == Stage::calm);            // 11: calm has held since 2 already
  }
}

TEST_CASE("relapses: back to escalating from disarming or from calm after an escalation", "[detect][stage]") {
  Run r;
  r.second(kAngry);   // 1: escalating
  r.second(kEasing);  // 2: disarming
  REQUIRE(r.tracker.stage() == Stage::disarming);

  SECTION("from disarming, when the caller climbs back to agitated") {
    // Agitated but not rising: a bump, not a relapse.
    r.seconds(3, Second{0.65f, false, 0.0f});
    CHECK(r.tracker.stage() == Stage::disarming);
    const StageUpdate u = r.second(kRelapse);
    CHECK(u.changed);
    CHECK(u.from == Stage::disarming);
    CHECK(u.to == Stage::escalating);
    CHECK(u.relapsed);
    CHECK(r.tracker.relapses() == 1);
    CHECK(r.tracker.escalations() == 2);
  }
  SECTION("from calm after an escalation") {
    r.seconds(9, kCalm);  // 3..11: calm at 11
    REQUIRE(r.tracker.stage() == Stage::calm);
    REQUIRE(r.tracker.time_to_calm_s() == Approx(10.0));  // 1 -> 11
    const StageUpdate u = r.second(kAngry);  // 12
    CHECK(u.to == Stage::escalating);
    CHECK(u.escalated);
    CHECK(u.relapsed);
    CHECK(r.tracker.relapses() == 1);
    // Calm again: time to calm still counts from the first escalation.
    r.second(kEasing);                             // 13: disarming
    const StageUpdate calm = r.seconds(9, kCalm);  // 14..22
    CHECK(calm.to == Stage::calm);
    CHECK(calm.time_to_calm_s == Approx(21.0));  // 1 -> 22
  }
}

TEST_CASE("venting past venting_stall_s is flagged once per venting stretch", "[detect][stage]") {
  StageConfig config;
  config.venting_stall_s = 30.0;
  Run r;
  r.tracker = StageTracker(config);
  r.second(kAngry);    // 1
  r.second(kVenting);  // 2: venting
  int stalls = 0;
  double stalled_at = -1.0;
  for (int i = 0; i < 100; ++i) {
    if (r.second(kVenting).venting_stalled) {
      ++stalls;
      if (stalled_at < 0) stalled_at = r.t;
    }
  }
  CHECK(stalls == 1);
  CHECK(stalled_at == 32.0);
  CHECK(r.tracker.stage() == Stage::venting);

  // Out of venting and back: a new stretch may stall again.
  r.second(kEasing);
  REQUIRE(r.tracker.stage() == Stage::disarming);
  r.second(kRelapse);
  r.second(kVenting);
  REQUIRE(r.tracker.stage() == Stage::venting);
  for (int i = 0; i < 40; ++i) stalls += r.second(kVenting).venting_stalled ? 1 : 0;
  CHECK(stalls == 2);
}

TEST_CASE("reset() makes the stage tracker behave like a fresh one", "[detect][stage]") {
  auto script = [](Run& r) {
    r.seconds(2, kCalm);
    r.second(kAngry);
    r.seconds(3, kVenting);
    r.second(kEasing);
    r.seconds(8, kCalm);
    r.second(kRelapse);
  };
  Run fresh;
  script(fresh);
  Run used;
  script(used);
  used.tracker.reset();
  used.t = 0.0;
  used.changes.clear();
  CHECK(used.tracker.stage() == Stage::calm);
  CHECK(used.tracker.relapses() == 0);
  CHECK(used.tracker.escalations() == 0);
  CHECK(used.tracker.time_to_calm_s() == -1.0);
  script(used);
  REQUIRE(used.changes.size() == fresh.changes.size());
  for (std::size_t i = 0; i < used.changes.size(); ++i) {
    INFO("change " << i);
    CHECK(used.changes[i].first == fresh.changes[i].first);
    CHECK(used.changes[i].second.to == fresh.changes[i].second.to);
    CHECK(used.changes[i].second.relapsed == fresh.changes[i].second.relapsed);
    CHECK(used.changes[i].second.time_to_calm_s == fresh.changes[i].second.time_to_calm_s);
  }
}

TEST_CASE("stage config is validated", "[detect][stage]") {
  CHECK_NOTHROW(StageTracker(StageConfig{}));
  auto rejected = [](auto&& change, const char* field) {
    StageConfig c;
    change(c);
    CHECK_THROWS_WITH(StageTracker(c), Catch::Contains(field));
  };
  rejected([](StageConfig& c) { c.calm_level = 0.6f; }, "calm_level");
  rejected([](StageConfig& c) { c.calm_level = 0.0f; }, "calm_level");
  rejected([](StageConfig& c) { c.agitated_level = 1.0f; }, "agitated_level");
  rejected([](StageConfig& c) { c.calm_hold_s = -1.0; }, "calm_hold_s");
  rejected([](StageConfig& c) { c.venting_stall_s = 0.0; }, "venting_stall_s");
  rejected([](StageConfig& c) { c.venting_caller_share = 0.0f; }, "floor shares");
  rejected([](StageConfig& c) { c.venting_caller_share = 1.5f; }, "floor shares");
  rejected([](StageConfig& c) { c.agent_listening_share = -0.1f; }, "floor shares");
  rejected([](StageConfig& c) { c.disarming_agent_share = -0.1f; }, "floor shares");
}

TEST_CASE("before the caller's baseline is established the level must pass agitated_level_unestablished", "[detect][stage]") {
  const StageConfig config;
  REQUIRE(config.agitated_level_unestablished > config.agitated_level);
  const float between = 0.5f * (config.agitated_level + config.agitated_level_unestablished);
  const auto run = [&](float level, bool established) {
    StageTracker tracker(config);
    bool escalated = false;
    for (int i = 1; i <= 20; ++i) {
      StageInputs in{static_cast<double>(i), level, false, 0.0f, 0.3f, 0.3f};
      in.caller_baseline_established = established;
      escalated = escalated || tracker.update(in).escalated;
    }
    return escalated;
  };
  // A calm voice unlike the register prior: not agitated yet.
  CHECK_FALSE(run(between, false));
  // The same level against the caller's own calm voice is.
  CHECK(run(between, true));
  // A caller angry from the first word is, baseline or not.
  CHECK(run(config.agitated_level_unestablished + 0.05f, false));
}

TEST_CASE("stage config rejects agitated_level_unestablished below agitated_level", "[detect][stage]") {
  StageConfig c;
  c.agitated_level_unestablished = c.agitated_level - 0.05f;
  CHECK_THROWS_WITH(StageTracker(c), Catch::Contains("agitated_level_unestablished"));
  c.agitated_level_unestablished = 1.0f;
  CHECK_THROWS_WITH(StageTracker(c), Catch::Contains("agitated_level_unestablished"));
}
