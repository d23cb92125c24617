// AgitationTracker with a hand-made one-feature model, so each window's score is
// chosen exactly: what gets scored and counted, the speech-time smoothing, the
// capped CUSUM in speech time, 'rising', the trend slope, and the baseline's
// refusal to learn agitation.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "detect/agitation_model.h"
#include "detect/agitation_tracker.h"

using tw::detect::AgitationConfig;
using tw::detect::AgitationModel;
using tw::detect::AgitationState;
using tw::detect::AgitationTracker;
using tw::detect::BaselineConfig;
using tw::detect::kProsodyCount;
using tw::detect::Prosody;
using tw::detect::ProsodyVector;

namespace {

// Prior median 0 and scale 1 for every feature; only hnr_db is weighted, so a
// window's HNR is its deviation and its score is sigmoid(bias + weight * x). (Not
// loudness: the baseline takes a speaker's level as their own from the first window,
// the line's gain being no one's norm; nor an effort cue, which the baseline refuses
// to learn when extreme: those have their own tests.)
constexpr Prosody kScored = Prosody::hnr_db;
AgitationModel one_feature_model(float weight = 1.0f, float bias = 0.0f) {
  nlohmann::json m;
  m["format"] = "tonewatch-agitation-model";
  m["version"] = "test-one-feature";
  m["features"] = nlohmann::json::array();
  for (auto name : tw::detect::kProsodyNames) m["features"].push_back(std::string(name));
  m["prior"]["median"] = std::vector<float>(kProsodyCount, 0.0f);
  m["prior"]["scale"] = std::vector<float>(kProsodyCount, 1.0f);
  std::vector<float> weights(kProsodyCount, 0.0f);
  weights[static_cast<std::size_t>(kScored)] = weight;
  m["logistic"]["weights"] = weights;
  m["logistic"]["bias"] = bias;
  m["decision_threshold"] = 0.5;
  return AgitationModel::from_json(m);
}

// A baseline pinned at the prior: one learning window that the prior outweighs a
// million to one, and no adaptation. Deviations then equal the window values.
// (The model has no registers, so the first window is scored against the
// population prior alone and does not count; every later one does.)
BaselineConfig pinned_baseline() {
  BaselineConfig b;
  b.learning_windows = 1;
  b.prior_weight_windows = 1e6f;
  b.adaptation_scale_per_window = 0.0f;
  // The first window pins it, however far from the prior (the refusal of a raised
  // voice has its own tests).
  b.extreme_cue_units = b.extreme_mean_units = 1e9f;
  return b;
}

// A window of speech_s seconds of speech, new_speech_s of them new since the last window.
ProsodyVector loudness_window(float loudness, float speech_s = 2.5f, float new_speech_s = 1.0f) {
  ProsodyVector v;
  v.values.fill(std::numeric_limits<float>::quiet_NaN());
  v[kScored] = loudness;
  v.speech_s = speech_s;
  v.new_speech_s = new_speech_s;
  return v;
}

// The window the pinned one-feature model (weight 1, bias 0) scores as p.
ProsodyVector scored_as(float p, float speech_s = 2.5f, float new_speech_s = 1.0f) {
  return loudness_window(std::log(p / (1.0f - p)), speech_s, new_speech_s);
}

struct Fixture {
  AgitationModel model = one_feature_model();
  AgitationConfig config;
  AgitationTracker tracker{config, pinned_baseline(), model};
  double t = 0.0;
  Fixture() { feed(0.5f, 2.5f, 0.0f); }  // the population-prior window, which counts for nothing
  // One window a second, with a second of new speech unless told otherwise.
  const AgitationState& feed(float p, float speech_s = 2.5f, float new_speech_s = 1.0f) {
    t += 1.0;
    return tracker.update(t, scored_as(p, speech_s, new_speech_s));
  }
  // n >= 1 windows of score p; returns the last state.
  const AgitationState& feed_times(float p, int n) {
    for (int i = 1; i < n; ++i) feed(p);
    return feed(p);
  }
};

}  // namespace

TEST_CASE("the one-feature model scores windows exactly as designed", "[detect][agitation]") {
  Fixture f;
  CHECK(f.feed(0.2f).score == Approx(0.2f).epsilon(1e-4));
  CHECK(f.feed(0.9f).score == Approx(0.9f).epsilon(1e-4));
}

TEST_CASE("a window scored against the population prior alone moves nothing", "[detect][agitation]") {
  const AgitationModel model = one_feature_model();
  AgitationTracker tracker(AgitationConfig{}, pinned_baseline(), model);
  // Before anything is known of the speaker, a window that would score 0.98
  // only says the voice is unusual: no level, no CUSUM, no rise.
  const AgitationState first = tracker.update(1.0, scored_as(0.98f));
  CHECK(first.scored);
  CHECK(first.reference == tw::detect::BaselineReference::population);
  CHECK_FALSE(first.counted);
  CHECK(first.score == Approx(0.98f).epsilon(1e-4));
  CHECK(first.smoothed == model.calm_probability());
  CHECK(first.cusum == 0.0f);
  // The next one is measured against the speaker's own (pinned) baseline.
  const AgitationState& second = tracker.update(2.0, scored_as(0.98f));
  CHECK(second.counted);
  CHECK(second.smoothed > first.smoothed);
  CHECK(second.cusum > 0.0f);
}

TEST_CASE("windows with less than min_speech_s of speech are not scored and hold the level", "[detect][agitation]") {
  Fixture f;  // min_speech_s = 1
  f.feed(0.2f);
  const AgitationState before = f.feed(0.8f);
  REQUIRE(before.scored);
  const std::size_t learned = f.tracker.baseline().windows_learned();

  // A near-silent window that would score 0.97 if it counted.
  const AgitationState& s = f.feed(0.97f, 0.5f, 0.5f);
  CHECK_FALSE(s.scored);
  CHECK_FALSE(s.counted);
  CHECK(s.score == before.score);        // the last scored value
  CHECK(s.smoothed == before.smoothed);  // no new evidence, no movement
  CHECK(s.cusum == before.cusum);
  CHECK(f.tracker.baseline().windows_learned() == learned);  // silence teaches nothing

  // Exactly min_speech_s counts, and the half second of speech the unscored window
  // brought is counted by it: nothing is lost, nothing counted twice.
  const AgitationState& counted = f.feed(0.97f, f.config.min_speech_s, 0.5f);
  CHECK(counted.scored);
  CHECK(counted.score == Approx(0.97f).epsilon(1e-4));
  CHECK(counted.weight_s == Approx(1.0f));
}

TEST_CASE("the smoothed level is an EWMA over seconds of speech", "[detect][agitation]") {
  // From the calm start, a step to 0.8: after S seconds of speech the level is
  // 0.8 - (0.8 - calm) exp(-S / 2).
  const float calm = one_feature_model().calm_probability();
  auto expected = [&](double speech_s) { return 0.8 - (0.8 - calm) * std::exp(-speech_s / 2.0); };

  SECTION("one second of speech a window") {
    Fixture f;
    CHECK(f.tracker.state().smoothed == calm);
    CHECK(f.feed_times(0.8f, 2).smoothed == Approx(expected(2.0)).epsilon(1e-4));
    CHECK(f.feed_times(0.8f, 4).smoothed == Approx(expected(6.0)).epsilon(1e-4));
  }
  SECTION("the same speech in half-second windows reaches the same level") {
    Fixture f;
    for (int i = 0; i < 4; ++i) f.feed(0.8f, 2.5f, 0.5f);
    CHECK(f.tracker.state().smoothed == Approx(expected(2.0)).epsilon(1e-4));
  }
  SECTION("silence does not dilute: windows without new speech leave the level alone") {
    Fixture f;
    f.feed_times(0.8f, 2);
    const float level = f.tracker.state().smoothed;
    // The turn is over: two windows still hold its speech but add none, then silence.
    CHECK(f.feed(0.1f, 2.0f, 0.0f).smoothed == level);
    CHECK(f.feed(0.1f, 1.0f, 0.0f).smoothed == level);
    for (int i = 0; i < 20; ++i) CHECK(f.feed(0.1f, 0.0f, 0.0f).smoothed == level);
  }
}

TEST_CASE("the CUSUM sums score minus reference over seconds of speech / capped and drained by calm speech",
          "[detect][agitation]") {
  Fixture f;
  const float threshold = f.config.cusum_threshold;
  const float k = f.config.cusum_reference;

  SECTION("calm speech keeps it at zero") {
    CHECK(f.feed_times(0.45f, 30).cusum == 0.0f);
  }
  SECTION("a 2 s agitated turn crosses the threshold; one loud word does not") {
    // A loud word: half a second of speech, even scored 0.98 (near the model's clip).
    CHECK(f.feed(0.98f, 2.5f, 0.5f).cusum == Approx((0.98f - k) * 0.5f).epsilon(1e-3));
    CHECK(f.tracker.state().cusum < threshold);
    CHECK_FALSE(f.tracker.state().rising);
    f.feed_times(0.1f, 5);
    REQUIRE(f.tracker.state().cusum == 0.0f);
    // Two seconds of speech scored 0.85.
    CHECK(f.feed(0.85f).cusum < threshold);
    CHECK(f.feed(0.85f).cusum == Approx(2.0f * (0.85f - k)).epsilon(1e-3));
    CHECK(f.tracker.state().cusum >= threshold);
  }
  SECTION("a long agitated stretch is capped at twice the threshold and drains within seconds of calm speech") {
    CHECK(f.feed_times(0.95f, 60).cusum == Approx(2.0f * threshold));
    const float drain = k - 0.1f;  // per second of calm speech at 0.1
    const int seconds_to_fall_below = static_cast<int>(std::floor(threshold / drain)) + 1;
    for (int i = 1; i < seconds_to_fall_below; ++i) CHECK(f.feed(0.1f).cusum >= threshold);
    CHECK(f.feed(0.1f).cusum < threshold);
    CHECK(f.feed_times(0.1f, static_cast<int>(std::ceil(threshold / drain))).cusum == 0.0f);
  }
  SECTION("silence holds it: no evidence either way") {
    f.feed_times(0.95f, 10);
    const float high = f.tracker.state().cusum;
    for (int i = 0; i < 30; ++i) f.feed(0.95f, 0.0f, 0.0f);
    CHECK(f.tracker.state().cusum == high);
  }
}

TEST_CASE("'rising' needs both the CUSUM over its threshold and a climbing level", "[detect][agitation]") {
  SECTION("a climb that stays below the reference is not rising") {
    Fixture f;
    for (int i = 0; i <= 30; ++i) {
      const AgitationState& s = f.feed(0.1f + 0.01f * static_cast<float>(i));  // up to 0.4
      CHECK_FALSE(s.rising);
      CHECK(s.cusum == 0.0f);
    }
    CHECK(f.tracker.state().slope_per_min > 0.0f);
  }
  SECTION("a jump to agitated rises; the high plateau falling back does not") {
    Fixture f;
    f.feed_times(0.1f, 10);
    CHECK_FALSE(f.feed(0.95f).rising);  // one second: CUSUM 0.45
    const AgitationState& second = f.feed(0.95f);
    CHECK(second.cusum >= f.config.cusum_threshold);
    CHECK(second.slope_per_min > 0.0f);
    CHECK(second.rising);

    f.feed_times(0.95f, 30);
    // Scores of 0.6 still add to the capped CUSUM (0.6 - 0.5 > 0), but the
    // level is coming down: no longer a rise.
    const AgitationState& easing = f.feed_times(0.6f, 8);
    CHECK(easing.cusum >= f.config.cusum_threshold);
    CHECK(easing.slope_per_min < 0.0f);
    CHECK_FALSE(easing.rising);
  }
}

TEST_CASE("slope_per_min follows a linear ramp of the score per minute of speech", "[detect][agitation]") {
  // 0.01 per second of speech = 0.6 per minute; after the EWMA's transient (2 s
  // of speech) the smoothed level climbs at the ramp's rate. Windows with half a
  // second of new speech, and silent windows between them, change nothing.
  auto slope_after_ramp = [](float start, float per_s, bool with_silence) {
    Fixture f;
    for (int i = 0; i <= 100; ++i) {
      f.feed(start + per_s * 0.5f * static_cast<float>(i), 2.5f, 0.5f);
      if (with_silence) f.feed(0.9f, 0.0f, 0.0f);
    }
    return f.tracker.state().slope_per_min;
  };
  for (bool silence : {false, true}) {
    INFO("silent windows between: " << silence);
    CHECK(slope_after_ramp(0.1f, 0.01f, silence) == Approx(0.6f).epsilon(0.05));
    CHECK(slope_after_ramp(0.8f, -0.01f, silence) == Approx(-0.6f).epsilon(0.05));
    CHECK(slope_after_ramp(0.2f, 0.005f, silence) == Approx(0.3f).epsilon(0.05));
    CHECK(slope_after_ramp(0.3f, 0.0f, silence) == Approx(0.0f).margin(1e-3));
  }
}

TEST_CASE("once established / the baseline does not learn from windows scored agitated", "[detect][agitation]") {
  // Default baseline (8 learning windows, adaptation 0.02 scale units per window);
  // bias -2 so a window at baseline scores 0.12, and an HNR of +4 scores 0.88.
  const AgitationModel model = one_feature_model(1.0f, -2.0f);
  AgitationTracker tracker(AgitationConfig{}, BaselineConfig{}, model);
  double t = 0.0;
  for (int i = 0; i < 8; ++i) tracker.update(t += 1.0, loudness_window(0.0f));
  REQUIRE(tracker.state().baseline_established);
  REQUIRE(tracker.baseline().median(kScored) == Approx(0.0f).margin(1e-6));

  for (int i = 0; i < 20; ++i) {
    const AgitationState& s = tracker.update(t += 1.0, loudness_window(4.0f));
    REQUIRE(s.score >= model.decision_threshold());
  }
  CHECK(tracker.baseline().median(kScored) == Approx(0.0f).margin(1e-6));
  // ... so the twentieth agitated window still scores as agitated as the first.
  CHECK(tracker.state().score == Approx(1.0f / (1.0f + std::exp(-2.0f))).epsilon(1e-4));

  // A calm but slightly louder voice (score 0.27) is followed, 0.02 per window.
  for (int i = 0; i < 20; ++i) tracker.update(t += 1.0, loudness_window(1.0f));
  CHECK(tracker.baseline().median(kScored) == Approx(0.4f).epsilon(1e-3));
}

TEST_CASE("reset() makes the agitation tracker behave like a fresh one", "[detect][agitation]") {
  const AgitationModel model = one_feature_model(1.0f, -2.0f);
  auto run = [](AgitationTracker& tracker) {
    std::vector<AgitationState> out;
    const float script[] = {0.0f, 0.5f, 0.0f, 0.2f, 0.0f, 0.0f, 0.1f, 0.0f, 0.0f, 3.0f, 4.0f, 4.0f, 4.0f, 1.0f, 0.0f};
    double t = 0.0;
    for (float x : script) out.push_back(tracker.update(t += 1.0, loudness_window(x)));
    return out;
  };
  AgitationTracker fresh(AgitationConfig{}, BaselineConfig{}, model);
  const auto expected = run(fresh);
  AgitationTracker used(AgitationConfig{}, BaselineConfig{}, model);
  run(used);
  run(used);
  used.reset();
  CHECK_FALSE(used.state().baseline_established);
  CHECK(used.speech_counted_s() == 0.0);
  const auto again = run(used);
  REQUIRE(again.size() == expected.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    INFO("window " << i);
    CHECK(again[i].score == expected[i].score);
    CHECK(again[i].smoothed == expected[i].smoothed);
    CHECK(again[i].cusum == expected[i].cusum);
    CHECK(again[i].slope_per_min == expected[i].slope_per_min);
    CHECK(again[i].rising == expected[i].rising);
    CHECK(again[i].counted == expected[i].counted);
    CHECK(again[i].baseline_established == expected[i].baseline_established);
  }
}

TEST_CASE("agitation config is validated", "[detect][agitation]") {
  const AgitationModel model = one_feature_model();
  auto rejected = [&](auto&& change, const char* field) {
    AgitationConfig c;
    change(c);
    CHECK_THROWS_WITH(AgitationTracker(c, BaselineConfig{}, model), Catch::Contains(field));
  };
  CHECK_NOTHROW(AgitationTracker(AgitationConfig{}, BaselineConfig{}, model));
  rejected([](AgitationConfig& c) { c.smoothing_speech_s = 0.0f; }, "smoothing_speech_s");
  rejected([](AgitationConfig& c) { c.cusum_threshold = 0.0f; }, "cusum_threshold");
  rejected([](AgitationConfig& c) { c.cusum_reference = 1.0f; }, "cusum_reference");
  rejected([](AgitationConfig& c) { c.cusum_reference_unestablished = 0.4f; }, "cusum_reference_unestablished");
  rejected([](AgitationConfig& c) { c.cusum_reference_unestablished = 1.0f; }, "cusum_reference_unestablished");
  rejected([](AgitationConfig& c) { c.min_speech_s = -1.0f; }, "min_speech_s");
  rejected([](AgitationConfig& c) { c.trend_window_speech_s = 1.0f; }, "trend_window_speech_s");
  rejected([](AgitationConfig& c) { c.trend_window_speech_s = 200.0f; }, "trend_window_speech_s");
}

TEST_CASE("before the baseline is established the CUSUM sums against cusum_reference_unestablished", "[detect][agitation]") {
  const AgitationModel model = one_feature_model();
  const AgitationConfig config;
  REQUIRE(config.cusum_reference_unestablished > config.cusum_reference);
  BaselineConfig learning = pinned_baseline();
  learning.learning_windows = 64;  // never established in this test
  const auto run = [&](float p, int seconds) {
    AgitationTracker tracker(config, learning, model);
    double t = 1.0;
    tracker.update(t, scored_as(0.5f, 2.5f, 0.0f));  // the population-prior window
    for (int i = 0; i < seconds; ++i) tracker.update(t += 1.0, scored_as(p, 2.5f, 1.0f));
    return tracker.state();
  };
  // Between the two references: a calm voice unlike the prior adds nothing.
  const float between = 0.5f * (config.cusum_reference + config.cusum_reference_unestablished);
  const AgitationState calm_unlike_prior = run(between, 30);
  CHECK_FALSE(calm_unlike_prior.baseline_established);
  CHECK(calm_unlike_prior.cusum == 0.0f);
  CHECK_FALSE(calm_unlike_prior.rising);
  // Angry from the first word (0.95): crosses within the seconds the margin allows.
  const int needed = static_cast<int>(std::ceil(config.cusum_threshold / (0.95f - config.cusum_reference_unestablished)));
  CHECK(run(0.95f, needed - 1).cusum < config.cusum_threshold);
  CHECK(run(0.95f, needed).cusum == Approx(needed * (0.95f - config.cusum_reference_unestablished)).epsilon(1e-3));
  CHECK(run(0.95f, needed).cusum >= config.cusum_threshold);
  CHECK(needed <= 10);
}

TEST_CASE("while the baseline learns a window is refused as agitated only at cusum_reference_unestablished",
          "[detect][agitation]") {
  // Default baseline (8 learning windows, prior weight 2). The model has no
  // registers, so the first window is judged against the population prior alone
  // and is learned whatever it scores; from the second on the verdict counts.
  const AgitationModel model = one_feature_model();
  const AgitationConfig config;
  const auto run = [&](float loudness, float& second_score) {
    AgitationTracker tracker(config, BaselineConfig{}, model);
    double t = 0.0;
    for (int i = 0; i < 6; ++i) {
      const AgitationState& s = tracker.update(t += 1.0, loudness_window(loudness));
      if (i == 1) second_score = s.score;
    }
    REQUIRE_FALSE(tracker.state().baseline_established);
    return tracker.baseline().windows_learned();
  };
  // A voice that scores 0.6 against the baseline so far is calm for one judged
  // against other people's voices: it is learned (at the model's 0.5 it was not).
  float calm_unlike_prior = 0.0f;
  CHECK(run(std::log(0.65f / 0.35f), calm_unlike_prior) == 6);
  CHECK(calm_unlike_prior > model.decision_threshold());
  CHECK(calm_unlike_prior < config.cusum_reference_unestablished);
  // Angry from the first word (0.88 against the baseline so far): only the
  // population-prior window was taken.
  float angry = 0.0f;
  CHECK(run(3.0f, angry) == 1);
  CHECK(angry >= config.cusum_reference_unestablished);
}
