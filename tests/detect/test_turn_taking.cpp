// TurnTakingTracker, hop by hop at 10 ms, on scripted voice activity of known
// timing: backchannels against interruptions, who cut in, dead air, monologues,
// floor shares, and the config checks.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "detect/turn_taking.h"

using tw::detect::TurnEvents;
using tw::detect::TurnTakingConfig;
using tw::detect::TurnTakingTracker;
using tw::features::SpeakerRole;

namespace {

constexpr double kHop_s = 0.01;

// A stretch of the call: who is voice-active, for how long.
struct Segment {
  double duration_s;
  bool caller;
  bool agent;
};

// Everything the tracker reported, with the hop time it reported it at.
struct Interruption {
  double time_s;
  SpeakerRole interrupter;
  double start_s;
  double interrupted_turn_s;
  double overlap_s;
  bool interrupted_yielded;
};
struct Mark {
  double time_s;
  double since_s;
};
struct Transcript {
  std::vector<Interruption> interruptions;
  std::vector<Mark> dead_air_started, dead_air_ended, monologue_started, monologue_ended;
  std::int64_t hops = 0;
};

// Feeds the segments hop by hop from hop `first_hop` on (time = hop * 10 ms, as
// the call monitor does), appending to `out`.
void play(TurnTakingTracker& turns, const std::vector<Segment>& script, Transcript& out) {
  for (const Segment& s : script) {
    const auto n = static_cast<std::int64_t>(std::llround(s.duration_s / kHop_s));
    for (std::int64_t i = 0; i < n; ++i, ++out.hops) {
      const double t = static_cast<double>(out.hops) * kHop_s;
      const TurnEvents& e = turns.update(t, s.caller, s.agent);
      if (e.interruption) {
        out.interruptions.push_back(
            {t, e.interrupter, e.interruption_start_s, e.interrupted_turn_s, e.overlap_s, e.interrupted_yielded});
      }
      if (e.dead_air_started) out.dead_air_started.push_back({t, e.dead_air_since_s});
      if (e.dead_air_ended) out.dead_air_ended.push_back({t, e.dead_air_since_s});
      if (e.monologue_started) out.monologue_started.push_back({t, e.monologue_since_s});
      if (e.monologue_ended) out.monologue_ended.push_back({t, e.monologue_since_s});
    }
  }
}

Transcript play(const std::vector<Segment>& script, const TurnTakingConfig& config = {}) {
  TurnTakingTracker turns(config);
  Transcript out;
  play(turns, script, out);
  return out;
}

// Times are hop multiples; one hop of slack absorbs summing 0.01 s steps.
Approx at(double seconds) { return Approx(seconds).margin(kHop_s + 1e-9); }

}  // namespace

TEST_CASE("an agent backchannel inside the caller's turn is not an interruption", "[detect][turns]") {
  // Caller talks 5 s; the agent says "mm-hm" (0.4 s) at 2.0 s, over the caller.
  const Transcript t = play({{2.0, true, false}, {0.4, true, true}, {2.6, true, false}, {3.0, false, false}});
  CHECK(t.interruptions.empty());

  SECTION("but the same overlap held 1.5 s is one") {
    // Sanity check of the threshold between the two: the overlap, not the start, decides.
    const Transcript u = play({{2.0, true, false}, {1.5, true, true}, {1.5, true, false}, {3.0, false, false}});
    CHECK(u.interruptions.size() == 1);
  }
}

TEST_CASE("the agent cutting in on a talking caller is an interruption by the agent", "[detect][turns]") {
  // Caller talks 0..5 s; the agent starts at 2.0 s and talks 1.5 s over the caller.
  const Transcript t = play({{2.0, true, false}, {1.5, true, true}, {1.5, true, false}, {3.0, false, false}});
  REQUIRE(t.interruptions.size() == 1);
  const Interruption& i = t.interruptions[0];
  CHECK(i.interrupter == SpeakerRole::agent);
  CHECK(i.start_s == at(2.0));
  CHECK(i.interrupted_turn_s == at(2.0));  // the caller had been talking 2 s
  // Confirmed once the overlap reached interruption_min_overlap_s (1 s), both still talking.
  CHECK(i.time_s == at(3.0));
  CHECK(i.overlap_s == at(1.0));
  CHECK_FALSE(i.interrupted_yielded);
}

TEST_CASE("an agent barge-in the caller gives way to is an interruption / even with a short overlap",
          "[detect][turns]") {
  // Caller talks from 0 s; the agent cuts in at 1.0 s; the caller stops at 1.3 s
  // (0.3 s of overlap) and the agent talks on to 4 s.
  const Transcript t = play({{1.0, true, false}, {0.3, true, true}, {2.7, false, true}, {2.0, false, false}});
  REQUIRE(t.interruptions.size() == 1);
  const Interruption& i = t.interruptions[0];
  CHECK(i.interrupter == SpeakerRole::agent);
  CHECK(i.interrupted_yielded);
  CHECK(i.start_s == at(1.0));
  CHECK(i.interrupted_turn_s == at(1.0));
  CHECK(i.overlap_s == at(0.3));
  // Known once the caller's turn is over (turn_pause_bridge_s, 0.7 s, after their
  // last word) with the agent still talking past a backchannel.
  CHECK(i.time_s == at(1.3 + 0.7));

  SECTION("the caller giving way after 1.8 s of overlap is still within yield_within_s") {
    TurnTakingConfig config;
    config.interruption_min_overlap_s = 5.0;  // keep the competitive rule out of the way
    const Transcript u = play({{1.0, true, false}, {1.8, true, true}, {3.0, false, true}, {2.0, false, false}}, config);
    REQUIRE(u.interruptions.size() == 1);
    CHECK(u.interruptions[0].interrupted_yielded);
  }
  SECTION("a caller who talks on for 2.5 s after the agent came in did not give way to it") {
    TurnTakingConfig config;
    config.interruption_min_overlap_s = 5.0;
    const Transcript u = play({{1.0, true, false}, {2.5, true, true}, {3.0, false, true}, {2.0, false, false}}, config);
    CHECK(u.interruptions.empty());
  }
}

TEST_CASE("a terminal overlap or a backchannel at the end of a turn is no interruption", "[detect][turns]") {
  SECTION("the caller finishing their last syllable (0.2 s) as the agent starts") {
    const Transcript t = play({{3.0, true, false}, {0.2, true, true}, {3.0, false, true}, {2.0, false, false}});
    CHECK(t.interruptions.empty());
  }
  SECTION("an agent 'mm-hm' over the caller's last words, then silence") {
    const Transcript t = play({{3.0, true, false}, {0.3, true, true}, {0.1, false, true}, {3.0, false, false}});
    CHECK(t.interruptions.empty());
  }
  SECTION("an agent 'mm-hm' while the caller talks on") {
    const Transcript t = play({{2.0, true, false}, {0.4, true, true}, {3.0, true, false}, {2.0, false, false}});
    CHECK(t.interruptions.empty());
  }
}

TEST_CASE("the caller cutting in on a talking agent is an interruption by the caller", "[detect][turns]") {
  // Agent talks 0..6 s; the caller cuts in at 3.5 s and talks 2 s over the agent.
  const Transcript t = play({{3.5, false, true}, {2.0, true, true}, {0.5, false, true}, {3.0, false, false}});
  REQUIRE(t.interruptions.size() == 1);
  const Interruption& i = t.interruptions[0];
  CHECK(i.interrupter == SpeakerRole::caller);
  CHECK(i.start_s == at(3.5));
  CHECK(i.interrupted_turn_s == at(3.5));
  CHECK(i.time_s == at(4.5));
}

TEST_CASE("both starting together is not an interruption", "[detect][turns]") {
  const TurnTakingConfig config;  // mid_turn_min_s = 0.25
  SECTION("the same hop") {
    const Transcript t = play({{2.0, false, false}, {3.0, true, true}, {3.0, false, false}});
    CHECK(t.interruptions.empty());
  }
  SECTION("the agent 0.2 s after the caller, inside mid_turn_min_s") {
    const Transcript t = play({{2.0, false, false}, {0.2, true, false}, {3.0, true, true}, {3.0, false, false}});
    CHECK(t.interruptions.empty());
  }
  SECTION("the agent 0.3 s after the caller is past mid_turn_min_s: it cut in") {
    const Transcript t = play({{2.0, false, false}, {0.3, true, false}, {3.0, true, true}, {3.0, false, false}});
    REQUIRE(t.interruptions.size() == 1);
    CHECK(t.interruptions[0].interrupter == SpeakerRole::agent);
    CHECK(t.interruptions[0].interrupted_turn_s == at(0.3));
  }
}

TEST_CASE("an agent reply in the caller's short pause hands over the floor", "[detect][turns]") {
  // Caller 0..3 s, pauses 0.6 s (shorter than turn_pause_bridge_s, 0.7 s).
  // The agent replies at 3.3 s, in the pause; the caller resumes at 3.6 s and
  // talks over the reply for 2 s. The pause handed the floor to the agent, so
  // it is the caller who cut in, 0.3 s into the agent's turn.
  const Transcript t = play({{3.0, true, false},
                             {0.3, false, false},
                             {0.3, false, true},
                             {2.0, true, true},
                             {3.0, false, false}});
  REQUIRE(t.interruptions.size() == 1);
  const Interruption& i = t.interruptions[0];
  CHECK(i.interrupter == SpeakerRole::caller);
  CHECK(i.start_s == at(3.6));
  CHECK(i.interrupted_turn_s == at(0.3));
  CHECK(i.time_s == at(4.6));
}

TEST_CASE("an agent starting while the caller is still audible is cutting in / not replying", "[detect][turns]") {
  // As above, but the agent starts 0.1 s into the pause: within talking_now_s
  // (0.15 s) the caller still counts as talking, so the agent cut in.
  const Transcript t = play({{3.0, true, false},
                             {0.1, false, false},
                             {0.5, false, true},
                             {2.0, true, true},
                             {3.0, false, false}});
  REQUIRE(t.interruptions.size() == 1);
  CHECK(t.interruptions[0].interrupter == SpeakerRole::agent);
  CHECK(t.interruptions[0].start_s == at(3.1));
}

TEST_CASE("dead air: dead_air_s of silence after speech / closed by the next words", "[detect][turns]") {
  const TurnTakingConfig config;  // dead_air_s = 5
  // Caller 0..1 s, silence 1..8 s, agent speaks at 8 s.
  const Transcript t = play({{1.0, true, false}, {7.0, false, false}, {1.0, false, true}}, config);
  REQUIRE(t.dead_air_started.size() == 1);
  CHECK(t.dead_air_started[0].since_s == at(1.0));  // the silence began when the caller stopped
  CHECK(t.dead_air_started[0].time_s == at(1.0 + config.dead_air_s));
  REQUIRE(t.dead_air_ended.size() == 1);
  CHECK(t.dead_air_ended[0].time_s == at(8.0));  // the first active hop
  CHECK(t.dead_air_ended[0].since_s == at(1.0));

  SECTION("4.9 s of silence is not dead air") {
    const Transcript u = play({{1.0, true, false}, {4.9, false, false}, {1.0, false, true}}, config);
    CHECK(u.dead_air_started.empty());
    CHECK(u.dead_air_ended.empty());
  }
  SECTION("the silence before anyone spoke is not dead air") {
    const Transcript u = play({{12.0, false, false}, {2.0, true, false}}, config);
    CHECK(u.dead_air_started.empty());
    CHECK(u.dead_air_ended.empty());
  }
  SECTION("the dead-air state is visible between the events") {
    TurnTakingTracker turns(config);
    Transcript u;
    play(turns, {{1.0, true, false}, {6.5, false, false}}, u);
    CHECK(turns.dead_air());
    play(turns, {{0.1, true, false}}, u);
    CHECK_FALSE(turns.dead_air());
  }
}

TEST_CASE("an agent monologue opens at monologue_s - backchannels do not end it / a caller turn does",
          "[detect][turns]") {
  const TurnTakingConfig config;  // monologue_s = 60, backchannel_max_s = 1
  // Agent talks 65 s; the caller says "mm-hm" (0.5 s) over the agent at 10, 25 and 40 s.
  std::vector<Segment> script;
  double t = 0.0;
  for (double backchannel : {10.0, 25.0, 40.0}) {
    script.push_back({backchannel - t, false, true});
    script.push_back({0.5, true, true});
    t = backchannel + 0.5;
  }
  script.push_back({65.0 - t, false, true});
  TurnTakingTracker turns(config);
  Transcript out;
  play(turns, script, out);
  REQUIRE(out.monologue_started.size() == 1);
  CHECK(out.monologue_started[0].time_s == at(60.0));
  CHECK(out.monologue_started[0].since_s == at(0.0));
  CHECK(out.monologue_ended.empty());
  CHECK(turns.monologue());
  CHECK(out.interruptions.empty());

  SECTION("a caller turn of 3 s takes the floor and ends it") {
    // The agent talks on for 1.5 s over the caller, so it is the caller's turn
    // (past 1 s at 66 s), not the agent falling silent, that ends the monologue.
    play(turns, {{1.5, true, true}, {1.5, true, false}, {3.0, false, true}}, out);
    REQUIRE(out.monologue_ended.size() == 1);
    CHECK(out.monologue_ended[0].time_s == at(66.0));
    CHECK(out.monologue_ended[0].since_s == at(0.0));
    // The agent's next turn (from 68 s) starts a new floor count.
    CHECK(out.monologue_started.size() == 1);
    CHECK_FALSE(turns.monologue());
  }
  SECTION("a backchannel after it opened does not end it") {
    // The backchannel is shorter than backchannel_max_s; the turn the
    // tracker bridges over its trailing silence must not count as a caller turn.
    play(turns, {{0.5, true, true}, {5.0, false, true}}, out);
    CHECK(out.monologue_ended.empty());
    CHECK(turns.monologue());
  }
}

TEST_CASE("backchannels in the agent's pauses do not end a monologue", "[detect][turns]") {
  // The agent talks in 3 s phrases with 0.6 s pauses (shorter than the 0.7 s
  // bridge); in every pause the caller says "mm-hm" (0.3 s, starting 0.2 s in).
  std::vector<Segment> script;
  for (int phrase = 0; phrase < 22; ++phrase) {
    script.push_back({3.0, false, true});
    script.push_back({0.2, false, false});
    script.push_back({0.3, true, false});
    script.push_back({0.1, false, false});
  }
  const Transcript t = play(script);
  REQUIRE(t.monologue_started.size() == 1);
  CHECK(t.monologue_started[0].since_s == at(0.0));
  CHECK(t.monologue_started[0].time_s == at(60.0));
  CHECK(t.interruptions.empty());
}

TEST_CASE("a monologue the caller broke counts again from when the caller gave the floor back", "[detect][turns]") {
  // The agent talks 65 s (monologue from 60 s); the caller talks 3 s over the
  // agent, taking the floor, while the agent talks on through it and for 70 s more.
  const Transcript t = play({{65.0, false, true}, {3.0, true, true}, {70.0, false, true}});
  REQUIRE(t.monologue_ended.size() == 1);
  REQUIRE(t.monologue_started.size() == 2);
  // The second monologue does not claim the agent held the floor since 0 s.
  CHECK(t.monologue_started[1].since_s > 60.0);
  CHECK(t.monologue_started[1].time_s - t.monologue_started[1].since_s == at(60.0));
}

TEST_CASE("an agent turn shorter than monologue_s is no monologue", "[detect][turns]") {
  const Transcript t = play({{59.0, false, true}, {2.0, true, false}, {59.0, false, true}});
  CHECK(t.monologue_started.empty());
}

TEST_CASE("floor shares are the voice-active fractions of the last floor_window_s", "[detect][turns]") {
  TurnTakingConfig config;
  config.floor_window_s = 10.0;
  TurnTakingTracker turns(config);
  Transcript out;
  CHECK(turns.floor_share(SpeakerRole::caller) == 0.0f);  // nothing seen yet

  // Caller 6 s, both 1 s, agent 3 s: the window holds exactly these 10 s.
  play(turns, {{6.0, true, false}, {1.0, true, true}, {3.0, false, true}}, out);
  CHECK(turns.floor_share(SpeakerRole::caller) == Approx(0.7));
  CHECK(turns.floor_share(SpeakerRole::agent) == Approx(0.4));

  // 5 s of silence push the first 5 s out: caller 1 + 1 = 2 s, agent 4 s.
  play(turns, {{5.0, false, false}}, out);
  CHECK(turns.floor_share(SpeakerRole::caller) == Approx(0.2));
  CHECK(turns.floor_share(SpeakerRole::agent) == Approx(0.4));

  // 10 s of the agent alone fill the window.
  play(turns, {{10.0, false, true}}, out);
  CHECK(turns.floor_share(SpeakerRole::caller) == Approx(0.0).margin(1e-6));
  CHECK(turns.floor_share(SpeakerRole::agent) == Approx(1.0));

  SECTION("a partly filled window divides by the hops seen") {
    TurnTakingTracker fresh(config);
    Transcript u;
    play(fresh, {{1.0, true, false}, {3.0, false, false}}, u);
    CHECK(fresh.floor_share(SpeakerRole::caller) == Approx(0.25));
  }
}

TEST_CASE("reset() makes the turn tracker behave like a fresh one", "[detect][turns]") {
  const std::vector<Segment> script = {{2.0, true, false}, {1.5, true, true}, {1.5, true, false}, {7.0, false, false},
                                       {1.0, false, true}};
  const Transcript fresh = play(script);
  REQUIRE(fresh.interruptions.size() == 1);
  REQUIRE(fresh.dead_air_started.size() == 1);

  TurnTakingTracker turns(TurnTakingConfig{});
  Transcript used;
  play(turns, {{3.0, false, true}, {6.0, false, false}}, used);  // leaves dead air open
  REQUIRE(turns.dead_air());
  turns.reset();
  CHECK_FALSE(turns.dead_air());
  CHECK(turns.floor_share(SpeakerRole::agent) == 0.0f);
  Transcript again;
  play(turns, script, again);
  REQUIRE(again.interruptions.size() == 1);
  CHECK(again.interruptions[0].start_s == fresh.interruptions[0].start_s);
  CHECK(again.interruptions[0].interrupted_turn_s == fresh.interruptions[0].interrupted_turn_s);
  CHECK(again.dead_air_started.size() == 1);
  CHECK(again.dead_air_ended.size() == 1);
}

TEST_CASE("turn-taking config is validated", "[detect][turns]") {
  CHECK_NOTHROW(TurnTakingTracker(TurnTakingConfig{}));
  auto rejected = [](auto&& change) {
    TurnTakingConfig c;
    change(c);
    CHECK_THROWS_AS(TurnTakingTracker(c), std::invalid_argument);
  };
  rejected([](TurnTakingConfig& c) { c.turn_pause_bridge_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.mid_turn_min_s = -0.1; });
  rejected([](TurnTakingConfig& c) { c.talking_now_s = -0.1; });
  rejected([](TurnTakingConfig& c) { c.interruption_min_overlap_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.backchannel_max_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.yield_within_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.yield_min_overlap_s = -0.1; });
  rejected([](TurnTakingConfig& c) { c.dead_air_s = -5.0; });
  rejected([](TurnTakingConfig& c) { c.monologue_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.floor_window_s = 0.0; });
  rejected([](TurnTakingConfig& c) { c.floor_window_s = 61.0; });
  rejected([](TurnTakingConfig& c) { c.dead_air_s = NAN; });
  // A floor window shorter than one hop holds no hop at all.
  rejected([](TurnTakingConfig& c) { c.floor_window_s = 0.004; });

  TurnTakingConfig zero_ok;
  zero_ok.mid_turn_min_s = 0.0;
  zero_ok.talking_now_s = 0.0;
  CHECK_NOTHROW(TurnTakingTracker(zero_ok));
}
