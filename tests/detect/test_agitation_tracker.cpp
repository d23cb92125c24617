// AgitationTracker with a hand-made one-feature model, so each window's score is
// chosen exactly: what gets scored, the smoothing time constant, the capped
// CUSUM, 'rising', the trend slope, and the baseline's refusal to learn agitation.

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

// Prior median 0 and scale 1 for every feature; only loudness_db is weighted, so
// a window's loudness is its deviation and its score is sigmoid(bias + weight * x).
AgitationModel one_feature_model(float weight = 1.0f, float bias = 0.0f) {
  nlohmann::json m;
  m["format"] = "tonewatch-agitation-model";
  m["version"] = "test-one-feature";
  m["features"] = nlohmann::json::array();
  for (auto name : tw::detect::kProsodyNames) m["features"].push_back(std::string(name));
  m["prior"]["median"] = std::vector<float>(kProsodyCount, 0.0f);
  m["prior"]["scale"] = std::vector<float>(kProsodyCount, 1.0f);
  std::vector<float> weights(kProsodyCount, 0.0f);
  weights[static_cast<std::size_t>(Prosody::loudness_db)] = weight;
  m["logistic"]["weights"] = weights;
  m["logistic"]["bias"] = bias;
  m["decision_threshold"] = 0.5;
  return AgitationModel::from_json(m);
}

// A baseline pinned at the prior: one learning window that the prior outweighs a
// million to one, and no adaptation. Deviations then equal the window values.
BaselineConfig pinned_baseline() {
  BaselineConfig b;
  b.learning_windows = 1;
  b.prior_weight_windows = 1e6f;
  b.adaptation_scale_per_window = 0.0f;
  return b;
}

ProsodyVector loudness_window(float loudness, float speech_s = 2.5f) {
  ProsodyVector v;
  v.values.fill(std::numeric_limits<float>::quiet_NaN());
  v[Prosody::loudness_db] = loudness;
  v.speech_s = speech_s;
  return v;
}

// The window the pinned one-feature model (weight 1, bias 0) scores as p.
ProsodyVector scored_as(float p, float speech_s = 2.5f) {
  return loudness_window(std::log(p / (1.0f - p)), speech_s);
}

struct Fixture {
  AgitationModel model = one_feature_model();
  AgitationConfig config;
  AgitationTracker tracker{config, pinned_baseline(), model};
  double t = 0.0;
  // One window a second.
  const AgitationState& feed(float p, float speech_s = 2.5f) {
    t += 1.0;
    return tracker.update(t, scored_as(p, speech_s));
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

TEST_CASE("windows with less than min_speech_s of speech are not scored and hold the score", "[detect][agitation]") {
  Fixture f;  // min_speech_s = 1
  f.feed(0.2f);
  const AgitationState before = f.feed(0.8f);
  REQUIRE(before.scored);
  const std::size_t learned = f.tracker.baseline().windows_learned();

  // A near-silent window that would score 0.97 if it counted.
  const AgitationState& s = f.feed(0.97f, 0.5f);
  CHECK_FALSE(s.scored);
  CHECK(s.score == before.score);        // the last scored value
  CHECK(s.smoothed == before.smoothed);  // no new evidence, no movement
  CHECK(s.cusum <= before.cusum);
  CHECK(f.tracker.baseline().windows_learned() == learned);  // silence teaches nothing

  // Exactly min_speech_s counts.
  const AgitationState& counted = f.feed(0.97f, f.config.min_speech_s);
  CHECK(counted.scored);
  CHECK(counted.score == Approx(0.97f).epsilon(1e-4));
}

TEST_CASE("the smoothed level is an EWMA with time constant smoothing_s in seconds", "[detect][agitation]") {
  // A step from 0.2 to 0.8 at t = 1: smoothed(t) = 0.8 - 0.6 exp(-(t - 1) / 4).
  auto expected = [](double after_s) { return 0.8 - 0.6 * std::exp(-after_s / 4.0); };

  SECTION("one window a second") {
    Fixture f;
    CHECK(f.feed(0.2f).smoothed == Approx(0.2f).epsilon(1e-4));  // the first score starts the level
    CHECK(f.feed_times(0.8f, 4).smoothed == Approx(expected(4.0)).epsilon(1e-4));
    CHECK(f.feed_times(0.8f, 8).smoothed == Approx(expected(12.0)).epsilon(1e-4));
  }
  SECTION("one window every two seconds reaches the same level at the same time") {
    Fixture f;
    f.tracker.update(1.0, scored_as(0.2f));
    f.tracker.update(3.0, scored_as(0.8f));
    CHECK(f.tracker.update(5.0, scored_as(0.8f)).smoothed == Approx(expected(4.0)).epsilon(1e-4));
  }
}

TEST_CASE("the CUSUM rises on sustained high scores / is capped and drains after", "[detect][agitation]") {
  Fixture f;  // each window adds score - (cusum_reference + cusum_slack)
  const float threshold = f.config.cusum_threshold;
  const float step = f.config.cusum_reference + f.config.cusum_slack;

  SECTION("calm speech keeps it at zero") {
    CHECK(f.feed_times(0.3f, 30).cusum == 0.0f);
  }
  SECTION("two clearly agitated windows cross the threshold, one does not") {
    CHECK(f.feed(0.9f).cusum == Approx(0.9f - step).epsilon(1e-3));
    CHECK(f.tracker.state().cusum < threshold);
    CHECK(f.feed(0.9f).cusum >= threshold);
  }
  SECTION("a long agitated stretch is capped at twice the threshold and drains within a few calm windows") {
    CHECK(f.feed_times(0.95f, 60).cusum == Approx(2.0f * threshold));
    // Each calm window (0.1) takes step - 0.1 off the cap.
    const float drain = step - 0.1f;
    const int windows_to_fall_below = static_cast<int>(std::floor(threshold / drain)) + 1;
    for (int i = 1; i < windows_to_fall_below; ++i) CHECK(f.feed(0.1f).cusum >= threshold);
    CHECK(f.feed(0.1f).cusum < threshold);
    CHECK(f.feed_times(0.1f, static_cast<int>(std::ceil(threshold / drain))).cusum == 0.0f);
  }
  SECTION("it drains by cusum_slack per second while the speaker is silent") {
    f.feed_times(0.95f, 10);
    const float high = f.tracker.state().cusum;
    REQUIRE(high == Approx(2.0f * threshold));
    // Five silent seconds: the held score (0.95) must not keep feeding the sum.
    for (int i = 0; i < 5; ++i) f.feed(0.95f, 0.0f);
    CHECK(f.tracker.state().cusum == Approx(high - 5.0f * f.config.cusum_slack).epsilon(1e-4));
    // A silent gap of 3 s in one step drains 3 slacks.
    f.t += 2.0;
    CHECK(f.feed(0.95f, 0.0f).cusum == Approx(high - 8.0f * f.config.cusum_slack).epsilon(1e-4));
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
    CHECK_FALSE(f.feed(0.95f).rising);  // one window: CUSUM 0.5
    const AgitationState& second = f.feed(0.95f);
    CHECK(second.cusum >= f.config.cusum_threshold);
    CHECK(second.slope_per_min > 0.0f);
    CHECK(second.rising);

    f.feed_times(0.95f, 30);
    // Scores of 0.55 still add to the capped CUSUM (0.55 - 0.45 > 0), but the
    // level is coming down: no longer a rise.
    const AgitationState& easing = f.feed_times(0.55f, 8);
    CHECK(easing.cusum >= f.config.cusum_threshold);
    CHECK(easing.slope_per_min < 0.0f);
    CHECK_FALSE(easing.rising);
  }
}

TEST_CASE("slope_per_min follows a linear ramp of the score", "[detect][agitation]") {
  // 0.01 per second = 0.6 per minute; after the EWMA's transient (4 s time
  // constant) the smoothed level climbs at the ramp's rate.
  auto slope_after_ramp = [](float start, float per_s) {
    Fixture f;
    for (int i = 0; i <= 50; ++i) f.feed(start + per_s * static_cast<float>(i));
    return f.tracker.state().slope_per_min;
  };
  CHECK(slope_after_ramp(0.1f, 0.01f) == Approx(0.6f).epsilon(0.05));
  CHECK(slope_after_ramp(0.8f, -0.01f) == Approx(-0.6f).epsilon(0.05));
  CHECK(slope_after_ramp(0.2f, 0.005f) == Approx(0.3f).epsilon(0.05));
  // A flat level has no slope.
  CHECK(slope_after_ramp(0.3f, 0.0f) == Approx(0.0f).margin(1e-3));
}

TEST_CASE("once established / the baseline does not learn from windows scored agitated", "[detect][agitation]") {
  // Default baseline (8 learning windows, adaptation 0.02 scale units per window);
  // bias -2 so a window at baseline scores 0.12, and loudness +4 scores 0.88.
  const AgitationModel model = one_feature_model(1.0f, -2.0f);
  AgitationTracker tracker(AgitationConfig{}, BaselineConfig{}, model);
  double t = 0.0;
  for (int i = 0; i < 8; ++i) tracker.update(t += 1.0, loudness_window(0.0f));
  REQUIRE(tracker.state().baseline_established);
  REQUIRE(tracker.baseline().median(Prosody::loudness_db) == Approx(0.0f).margin(1e-6));

  for (int i = 0; i < 20; ++i) {
    const AgitationState& s = tracker.update(t += 1.0, loudness_window(4.0f));
    REQUIRE(s.score >= model.decision_threshold());
  }
  CHECK(tracker.baseline().median(Prosody::loudness_db) == Approx(0.0f).margin(1e-6));
  // ... so the twentieth agitated window still scores as agitated as the first.
  CHECK(tracker.state().score == Approx(1.0f / (1.0f + std::exp(-2.0f))).epsilon(1e-4));

  // A calm but slightly louder voice (score 0.27) is followed, 0.02 per window.
  for (int i = 0; i < 20; ++i) tracker.update(t += 1.0, loudness_window(1.0f));
  CHECK(tracker.baseline().median(Prosody::loudness_db) == Approx(0.4f).epsilon(1e-3));
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
  const auto again = run(used);
  REQUIRE(again.size() == expected.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    INFO("window " << i);
    CHECK(again[i].score == expected[i].score);
    CHECK(again[i].smoothed == expected[i].smoothed);
    CHECK(again[i].cusum == expected[i].cusum);
    CHECK(again[i].slope_per_min == expected[i].slope_per_min);
    CHECK(again[i].rising == expected[i].rising);
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
  rejected([](AgitationConfig& c) { c.smoothing_s = 0.0f; }, "smoothing_s");
  rejected([](AgitationConfig& c) { c.cusum_threshold = 0.0f; }, "cusum_threshold");
  rejected([](AgitationConfig& c) { c.cusum_slack = -0.1f; }, "cusum_slack");
  rejected([](AgitationConfig& c) { c.trend_window_s = 1.0f; }, "trend_window_s");
  rejected([](AgitationConfig& c) { c.trend_window_s = 200.0f; }, "trend_window_s");
}
