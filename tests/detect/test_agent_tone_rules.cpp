// AgentToneRules fed by two real AgitationTrackers on synthetic windows whose
// deviations from the agent's baseline are chosen: raised voice, fast and slow
// speech against the caller, monotone over its window, and the config checks.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "detect/agent_tone_rules.h"
#include "detect/agitation_model.h"
#include "detect/agitation_tracker.h"

using tw::detect::AgentRule;
using tw::detect::AgentRuleChange;
using tw::detect::AgentToneConfig;
using tw::detect::AgentToneRules;
using tw::detect::AgitationConfig;
using tw::detect::AgitationModel;
using tw::detect::AgitationTracker;
using tw::detect::BaselineConfig;
using tw::detect::EpisodeChange;
using tw::detect::Evidence;
using tw::detect::kProsodyCount;
using tw::detect::Prosody;
using tw::detect::ProsodyVector;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Population prior in each feature's unit (median, scale), in kProsodyNames order.
constexpr float kMedian[kProsodyCount] = {30.0f, 18.0f, -23.0f, 44.0f, -15.0f, 9.0f, 5.0f, 0.6f};
constexpr float kScale[kProsodyCount] = {1.5f, 2.0f, 2.0f, 7.0f, 1.5f, 1.0f, 0.5f, 0.07f};

float median(Prosody p) { return kMedian[static_cast<std::size_t>(p)]; }
float scale(Prosody p) { return kScale[static_cast<std::size_t>(p)]; }

// No weights: every window scores sigmoid(-2) = 0.12, so the agitation gate
// never keeps a window from the baseline; the rules alone are under test.
AgitationModel flat_model() {
  nlohmann::json m;
  m["format"] = "tonewatch-agitation-model";
  m["version"] = "test-flat";
  m["features"] = nlohmann::json::array();
  for (auto name : tw::detect::kProsodyNames) m["features"].push_back(std::string(name));
  m["prior"]["median"] = std::vector<float>(std::begin(kMedian), std::end(kMedian));
  m["prior"]["scale"] = std::vector<float>(std::begin(kScale), std::end(kScale));
  m["logistic"]["weights"] = std::vector<float>(kProsodyCount, 0.0f);
  m["logistic"]["bias"] = -2.0;
  return AgitationModel::from_json(m);
}

// The speaker's baseline is learned from their first 8 windows (at the prior
// median here) and then held still, so deviations are exactly as scripted.
BaselineConfig still_baseline() {
  BaselineConfig b;
  b.adaptation_scale_per_window = 0.0f;
  return b;
}

// A window `deviation` scale units from the prior median in the named features,
// at the median in the others.
ProsodyVector voice(std::initializer_list<std::pair<Prosody, float>> deviations = {}, float speech_s = 2.5f) {
  ProsodyVector v;
  for (std::size_t i = 0; i < kProsodyCount; ++i) v.values[i] = kMedian[i];
  for (const auto& [p, d] : deviations) v[p] = std::isfinite(d) ? median(p) + d * scale(p) : kNaN;
  v.speech_s = speech_s;
  // A second of new speech at the window's rate: the tracker's pace is read from these.
  v.new_speech_s = 1.0f;
  v.new_syllables = v[Prosody::speaking_rate_syl_per_s];
  return v;
}

ProsodyVector raised(float loudness, float f0, float alpha) {
  return voice({{Prosody::loudness_db, loudness}, {Prosody::f0_median_st, f0}, {Prosody::alpha_ratio_db, alpha}});
}

ProsodyVector rate(float syl_per_s) {
  ProsodyVector v = voice();
  v[Prosody::speaking_rate_syl_per_s] = syl_per_s;
  // A second of speech with that many syllables; none when the rate is unmeasured.
  v.new_speech_s = std::isfinite(syl_per_s) ? 1.0f : 0.0f;
  v.new_syllables = std::isfinite(syl_per_s) ? syl_per_s : 0.0f;
  return v;
}

struct Change {
  double time_s;
  AgentRuleChange change;
};

struct Call {
  explicit Call(AgentToneConfig c = {}, BaselineConfig b = still_baseline())
      : config(c), agent(AgitationConfig{}, b, model), caller(AgitationConfig{}, b, model), rules(config) {}
  AgitationModel model = flat_model();
  AgentToneConfig config;
  AgitationTracker agent, caller;
  AgentToneRules rules;
  double t = 0.0;
  std::vector<Change> changes;

  // One second: both windows, then the rules (the call monitor's order).
  void second(const ProsodyVector& a, const ProsodyVector& c = voice()) {
    t += 1.0;
    agent.update(t, a);
    caller.update(t, c);
    for (const AgentRuleChange& change : rules.update(t, agent, caller)) changes.push_back({t, change});
  }
  void seconds(int n, const ProsodyVector& a, const ProsodyVector& c = voice()) {
    for (int i = 0; i < n; ++i) second(a, c);
  }
  // Eight calm windows each: both baselines established at the prior medians.
  void establish() {
    seconds(8, voice());
    REQUIRE(agent.state().baseline_established);
    REQUIRE(changes.empty());
  }
  std::optional<Change> find(AgentRule rule, EpisodeChange what) const {
    for (const Change& c : changes) {
      if (c.change.rule == rule && c.change.change == what) return c;
    }
    return std::nullopt;
  }
};

const Evidence* evidence_for(const AgentRuleChange& change, const std::string& feature) {
  for (const Evidence& e : change.evidence) {
    if (e.feature == feature) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("raised voice waits for the agent's own baseline", "[detect][agent]") {
  // A baseline pinned at the prior, so the raised windows stay 3 units up while
  // it learns: only the established-baseline gate can hold the rule back.
  BaselineConfig pinned = still_baseline();
  pinned.prior_weight_windows = 1e6f;

  SECTION("required (default): a raised voice is judged once the baseline learns, before it is established") {
    // Issue 27: an agent shouting 10-20 s into the call. Two calm windows are
    // learned (the first against the population prior alone), then the raised
    // ones are judged against the learning baseline and never learned.
    Call call(AgentToneConfig{}, pinned);
    call.seconds(2, voice());
    call.seconds(8, raised(3, 3, 3));  // from 3
    const auto opened = call.find(AgentRule::raised_voice, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 5.0);  // min_duration_s 2 after 3
    CHECK(opened->change.evidence.front().since_s == 3.0);
    CHECK_FALSE(call.agent.state().baseline_established);
    CHECK(call.agent.baseline().windows_learned() == 2);
  }
  SECTION("required (default): raised from the first word against the population alone is not judged") {
    Call call(AgentToneConfig{}, pinned);
    call.seconds(12, raised(3, 3, 3));
    CHECK_FALSE(call.find(AgentRule::raised_voice, EpisodeChange::opened));
    CHECK(call.agent.baseline().windows_learned() == 0);  // and never learned
  }
  SECTION("not required: the prior is the reference from the first window") {
    AgentToneConfig config;
    config.require_established_baseline = false;
    Call call(config, pinned);
    call.seconds(12, raised(3, 3, 3));
    const auto opened = call.find(AgentRule::raised_voice, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 3.0);
  }
}

TEST_CASE("raised voice: the mean deviation of loudness / F0 level and alpha ratio / sustained", "[detect][agent]") {
  Call call;
  call.establish();  // t = 8

  SECTION("2.4 units in all three is not enough") {
    call.seconds(20, raised(2.4f, 2.4f, 2.4f));
    CHECK(call.changes.empty());
    CHECK_FALSE(call.rules.is_open(AgentRule::raised_voice));
  }
  SECTION("3 units in all three opens after min_duration_s, with the cues as evidence") {
    call.seconds(5, raised(3, 3, 3));  // t = 9..13
    const auto opened = call.find(AgentRule::raised_voice, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 11.0);
    CHECK(call.rules.is_open(AgentRule::raised_voice));
    REQUIRE(opened->change.evidence.size() == 3);
    for (Prosody p : {Prosody::loudness_db, Prosody::f0_median_st, Prosody::alpha_ratio_db}) {
      const std::string name(tw::detect::kProsodyNames[static_cast<std::size_t>(p)]);
      const Evidence* e = evidence_for(opened->change, name);
      REQUIRE(e != nullptr);
      INFO(name);
      CHECK(e->value == Approx(median(p) + 3.0f * scale(p)));
      CHECK(e->baseline == Approx(median(p)));
      CHECK(e->deviation == Approx(3.0f));
      CHECK(e->since_s == 9.0);
    }
  }
  SECTION("one strong cue may carry weaker ones: the mean decides") {
    call.seconds(5, raised(4.5f, 2.0f, 1.0f));  // mean 2.5
    CHECK(call.find(AgentRule::raised_voice, EpisodeChange::opened));
  }
  SECTION("an unmeasured cue (no pitch) is left out of the mean and of the evidence") {
    call.seconds(5, raised(3.0f, kNaN, 2.0f));  // mean of the two: 2.5
    const auto opened = call.find(AgentRule::raised_voice, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->change.evidence.size() == 2);
    CHECK(evidence_for(opened->change, "f0_median_st") == nullptr);
  }
  SECTION("a break in the raised windows restarts the duration") {
    call.seconds(2, raised(3, 3, 3));  // 9, 10
    call.second(voice());              // 11
    call.seconds(4, raised(3, 3, 3));  // 12..15
    const auto opened = call.find(AgentRule::raised_voice, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 14.0);
  }
  SECTION("it closes after release_s below close units, and holds in between") {
    call.seconds(3, raised(3, 3, 3));  // opens at 11
    REQUIRE(call.rules.is_open(AgentRule::raised_voice));
    call.seconds(10, raised(1.5f, 1.5f, 1.5f));  // between close (1) and open (2.5): stays open
    CHECK(call.rules.is_open(AgentRule::raised_voice));
    call.seconds(5, raised(0.5f, 0.5f, 0.5f));  // 22..26: closes at 22 + 3
    const auto closed = call.find(AgentRule::raised_voice, EpisodeChange::closed);
    REQUIRE(closed);
    CHECK(closed->time_s == 25.0);
    CHECK(closed->change.evidence.size() == 3);
  }
}

TEST_CASE("a higher pitch in a clearly quieter voice is not a raised voice", "[detect][agent]") {
  Call call;
  call.establish();
  // Mean 2.5 in both, but loudness half a unit below the limit (-1.5) in the first.
  const float limit = tw::detect::AgentToneConfig{}.raised_voice_min_loudness_units;
  REQUIRE(limit == Approx(-1.5f));
  call.seconds(10, raised(limit - 0.5f, 6.0f, 7.5f - (limit - 0.5f) - 6.0f));
  CHECK_FALSE(call.find(AgentRule::raised_voice, EpisodeChange::opened));

  Call louder;
  louder.establish();
  louder.seconds(10, raised(limit + 0.5f, 6.0f, 7.5f - (limit + 0.5f) - 6.0f));  // half a unit above it
  CHECK(louder.find(AgentRule::raised_voice, EpisodeChange::opened));
}

TEST_CASE("fast speech: far above the agent's baseline and not matched by the caller", "[detect][agent]") {
  Call call;
  call.establish();  // both baselines at 5 syl/s, scale 0.5
  const float fast = 6.5f;  // 3 units up

  SECTION("against a caller at 5 syl/s it opens after min_duration_s") {
    call.seconds(8, rate(fast), rate(5.0f));  // from 9
    const auto opened = call.find(AgentRule::fast_speech, EpisodeChange::opened);
    REQUIRE(opened);
    // The pace over the last 4 s and 24 syllables of speech: 9-11 fast and 8 at 5
    // syl/s read 6.125, 2.25 units up, at 11; open 2 s later.
    CHECK(opened->time_s == 13.0);
    const Evidence* agent = evidence_for(opened->change, "speaking_rate_syl_per_s");
    REQUIRE(agent != nullptr);
    CHECK(agent->value == Approx(fast));
    CHECK(agent->baseline == Approx(5.0f));
    CHECK(agent->deviation == Approx(3.0f));
    CHECK(agent->since_s == 11.0);
    const Evidence* caller = evidence_for(opened->change, "caller_speaking_rate_syl_per_s");
    REQUIRE(caller != nullptr);
    CHECK(caller->value == Approx(5.0f));
    CHECK(std::isnan(caller->baseline));
    CHECK_FALSE(call.find(AgentRule::slow_speech, EpisodeChange::opened));
  }
  SECTION("a caller just as fast makes it fine") {
    call.seconds(20, rate(fast), rate(6.5f));
    CHECK_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::opened));
  }
  SECTION("a caller within pace_vs_caller_syl_per_s makes it fine") {
    call.seconds(20, rate(fast), rate(6.25f));
    CHECK_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::opened));
  }
  SECTION("1.5 units above baseline is not fast") {
    call.seconds(20, rate(5.75f), rate(4.0f));
    CHECK_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::opened));
  }
}

TEST_CASE("slow speech: far below the agent's baseline while the caller is faster", "[detect][agent]") {
  Call call;
  call.establish();
  const float slow = 3.5f;  // 3 units down

  SECTION("against a caller at 5 syl/s it opens") {
    call.seconds(8, rate(slow), rate(5.0f));
    const auto opened = call.find(AgentRule::slow_speech, EpisodeChange::opened);
    REQUIRE(opened);
    // 24 syllables at 3.5 syl/s need 7 s: at 14, six slow seconds and one at 5 read
    // 3.71 syl/s, 2.57 units down (slow needs 2.5); open 2 s later.
    CHECK(opened->time_s == 16.0);
    CHECK(evidence_for(opened->change, "speaking_rate_syl_per_s")->deviation == Approx(-3.0f));
    CHECK_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::opened));
  }
  SECTION("a caller just as slow makes it fine") {
    call.seconds(20, rate(slow), rate(3.5f));
    CHECK_FALSE(call.find(AgentRule::slow_speech, EpisodeChange::opened));
  }
  SECTION("without the caller's rate ever measured there is nothing to be slower than") {
    Call unheard;
    unheard.seconds(8, voice(), rate(kNaN));
    REQUIRE(unheard.agent.state().baseline_established);
    unheard.seconds(20, rate(slow), rate(kNaN));
    CHECK_FALSE(unheard.find(AgentRule::slow_speech, EpisodeChange::opened));
  }
  SECTION("the caller's slow last window of a turn does not stand for their pace") {
    // Phrase-final lengthening: the window that ends the caller's turn reads slow.
    call.seconds(6, rate(5.0f), rate(5.0f));
    call.seconds(1, rate(5.0f), rate(3.9f));
    call.seconds(20, rate(slow), rate(kNaN));
    const auto opened = call.find(AgentRule::slow_speech, EpisodeChange::opened);
    REQUIRE(opened);
    // The caller's pace over their last 24 syllables: 3.9 + 4 x 5 + 5 in 6 s.
    CHECK(evidence_for(opened->change, "caller_speaking_rate_syl_per_s")->value == Approx(28.9f / 6.0f));
  }
  SECTION("the caller's pace follows them when they slow down for good") {
    call.seconds(12, rate(4.0f), rate(3.6f));
    call.seconds(20, rate(slow), rate(kNaN));
    CHECK_FALSE(call.find(AgentRule::slow_speech, EpisodeChange::opened));
  }
  SECTION("the caller's pace as last heard counts while the caller listens") {
    call.seconds(2, rate(4.0f), rate(5.0f));
    call.seconds(20, rate(slow), rate(kNaN));
    CHECK(call.find(AgentRule::slow_speech, EpisodeChange::opened));
  }
}

TEST_CASE("monotone: the pitch range low on average over the window", "[detect][agent]") {
  const auto flat = voice({{Prosody::f0_range_st, -3.0f}, {Prosody::loudness_range_db, -3.0f}});

  SECTION("opens once enough windows average below monotone_units for its duration, and needs many lively windows to close") {
    Call call;
    call.establish();  // window 8 is the first the rule measures (deviation 0)
    call.seconds(40, flat);  // 9..48
    // The tenth measured window is at 17 (mean -2.7); plus min_duration_s 10.
    const auto opened = call.find(AgentRule::monotone, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 27.0);
    // Evidence: the window averages (1 calm + 19 flat windows at 27 s).
    const Evidence* f0 = evidence_for(opened->change, "f0_range_st");
    REQUIRE(f0 != nullptr);
    CHECK(f0->deviation == Approx(-2.85f));
    CHECK(f0->baseline == Approx(median(Prosody::f0_range_st)));
    CHECK(f0->value == Approx(median(Prosody::f0_range_st) - 2.85f * scale(Prosody::f0_range_st)));
    CHECK(f0->since_s == 17.0);
    REQUIRE(evidence_for(opened->change, "loudness_range_db") != nullptr);

    // Lively again from 49: the 30-window mean rises past monotone_units / 2
    // (-0.75) only once 23 lively windows are in (at 71); closes 5 s later.
    call.seconds(30, voice());
    const auto closed = call.find(AgentRule::monotone, EpisodeChange::closed);
    REQUIRE(closed);
    CHECK(closed->time_s == 76.0);
  }
  SECTION("a narrow pitch range with the usual loudness dynamics is monotone: the pitch decides") {
    Call call;
    call.establish();
    call.seconds(40, voice({{Prosody::f0_range_st, -3.0f}}));
    const auto opened = call.find(AgentRule::monotone, EpisodeChange::opened);
    REQUIRE(opened);
    CHECK(opened->time_s == 27.0);
    REQUIRE(evidence_for(opened->change, "loudness_range_db") != nullptr);
    CHECK(evidence_for(opened->change, "loudness_range_db")->deviation == Approx(0.0f));
  }
  SECTION("even loudness with a lively pitch is not monotone") {
    Call call;
    call.establish();
    call.seconds(60, voice({{Prosody::loudness_range_db, -3.0f}}));
    CHECK_FALSE(call.find(AgentRule::monotone, EpisodeChange::opened));
  }
  SECTION("a pitch range only a little narrower than usual is not monotone") {
    Call call;
    call.establish();
    call.seconds(60, voice({{Prosody::f0_range_st, -1.2f}}));
    CHECK_FALSE(call.find(AgentRule::monotone, EpisodeChange::opened));
  }
  SECTION("too few measured windows are not enough") {
    Call call;
    call.establish();
    // Flat windows with too little speech to score: the rule has nothing to average.
    ProsodyVector quiet = flat;
    quiet.speech_s = 0.5f;
    call.seconds(40, quiet);
    CHECK_FALSE(call.find(AgentRule::monotone, EpisodeChange::opened));
  }
}

TEST_CASE("reset() makes the agent rules behave like fresh ones", "[detect][agent]") {
  // Ends with the raised voice open (since 9, opened at 11).
  auto script = [](Call& call) {
    call.establish();
    call.seconds(6, raised(3, 3, 3), rate(5.0f));
  };
  Call fresh;
  script(fresh);
  REQUIRE(fresh.find(AgentRule::raised_voice, EpisodeChange::opened));

  Call used;
  script(used);
  used.t = 0.0;
  used.agent.reset();
  used.caller.reset();
  REQUIRE(used.rules.is_open(AgentRule::raised_voice));
  used.rules.reset();  // otherwise still open: the replay could not open it again
  used.changes.clear();
  CHECK_FALSE(used.rules.is_open(AgentRule::raised_voice));
  script(used);
  REQUIRE(used.changes.size() == fresh.changes.size());
  for (std::size_t i = 0; i < used.changes.size(); ++i) {
    CHECK(used.changes[i].time_s == fresh.changes[i].time_s);
    CHECK(used.changes[i].change.rule == fresh.changes[i].change.rule);
    CHECK(used.changes[i].change.change == fresh.changes[i].change.change);
  }
}

TEST_CASE("agent-tone config is validated", "[detect][agent]") {
  CHECK_NOTHROW(AgentToneRules(AgentToneConfig{}));
  auto rejected = [](auto&& change, const char* field) {
    AgentToneConfig c;
    change(c);
    CHECK_THROWS_WITH(AgentToneRules(c), Catch::Contains(field));
  };
  rejected([](AgentToneConfig& c) { c.raised_voice_close_units = 3.0f; }, "raised_voice_open_units");
  rejected([](AgentToneConfig& c) { c.pace_close_units = c.pace_open_units; }, "pace_open_units");
  rejected([](AgentToneConfig& c) { c.pace_vs_caller_syl_per_s = -0.5f; }, "pace_vs_caller_syl_per_s");
  rejected([](AgentToneConfig& c) { c.pace_caller_windows = 0; }, "pace_caller_windows");
  rejected([](AgentToneConfig& c) { c.pace_caller_windows = 65; }, "pace_caller_windows");
  rejected([](AgentToneConfig& c) { c.monotone_units = 0.0f; }, "monotone_units");
  rejected([](AgentToneConfig& c) { c.monotone_window_s = 4.0f; }, "monotone_window_s");
  rejected([](AgentToneConfig& c) { c.monotone_window_s = 129.0f; }, "monotone_window_s");
  rejected([](AgentToneConfig& c) { c.monotone_min_windows = 0; }, "monotone_min_windows");
  rejected([](AgentToneConfig& c) { c.monotone_min_windows = 31; }, "monotone_min_windows");
  rejected([](AgentToneConfig& c) { c.raised_voice_timing.min_duration_s = -1.0; }, "EpisodeTiming");
  rejected([](AgentToneConfig& c) { c.pace_timing.cooldown_s = -1.0; }, "EpisodeTiming");
}

TEST_CASE("raised voice needs two cues up together: a pitch alone far up is not a raised voice", "[detect][agent]") {
  // Issue 27: a pitch read an octave up on time-scaled speech averaged 2.8 units by
  // itself, loudness and effort unchanged.
  Call call;
  call.establish();
  call.seconds(10, raised(0.0f, 9.0f, 0.0f));  // mean 3 units, one cue
  CHECK_FALSE(call.find(AgentRule::raised_voice, EpisodeChange::opened));
  Call two;
  two.establish();
  two.seconds(10, raised(1.0f, 6.5f, 0.0f));  // mean 2.5 units, two cues at or above 1
  CHECK(two.find(AgentRule::raised_voice, EpisodeChange::opened));
}

TEST_CASE("a pace episode closes when the agent has been silent past pace_recent_s", "[detect][agent]") {
  // The pace holds still through the caller's turns (so short turns add up), but
  // an agent who then listens for long is speaking at no pace.
  Call call;
  call.establish();
  call.seconds(8, rate(6.5f), rate(5.0f));
  REQUIRE(call.find(AgentRule::fast_speech, EpisodeChange::opened));
  REQUIRE_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::closed));
  ProsodyVector listening = rate(kNaN);  // no new speech from the agent
  call.seconds(5, listening, rate(5.0f));
  CHECK_FALSE(call.find(AgentRule::fast_speech, EpisodeChange::closed));  // held through a turn
  call.seconds(12, listening, rate(5.0f));
  const auto closed = call.find(AgentRule::fast_speech, EpisodeChange::closed);
  REQUIRE(closed);
  // Silent from 17; past pace_recent_s (10) at 27, closed after pace release (3 s).
  CHECK(closed->time_s == 30.0);
}

