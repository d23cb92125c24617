// The agitation model: the shipped model file, the parser's errors, the speaker
// baseline's rules, and a leave-one-speaker-out run on EmoDB ([data][model]).

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include "agitation_dataset.h"
#include "detect/agitation_model.h"
#include "detect/prosody_vector.h"
#include "detect/speaker_baseline.h"
#include "support/shared_data.h"
#include "support/text_file.h"
#include "build_paths.h"

using tw::detect::AgitationModel;
using tw::detect::BaselineConfig;
using tw::detect::BaselinePrior;
using tw::detect::kProsodyCount;
using tw::detect::Prosody;
using tw::detect::ProsodyVector;
using tw::detect::SpeakerBaseline;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string shipped_model_path() { return tw::build::source_dir() + "/models/agitation-v1.json"; }

ProsodyVector filled(float value, float speech_s = 2.0f) {
  ProsodyVector v;
  v.values.fill(value);
  v.speech_s = speech_s;
  return v;
}

// The learning mechanics with windows far from the prior: no window is refused as
// a raised voice (that refusal has its own tests below).
BaselineConfig ungated(BaselineConfig c = {}) {
  c.extreme_cue_units = c.extreme_mean_units = 1e9f;
  return c;
}

BaselinePrior unit_prior(float median = 0.0f, float scale = 1.0f) {
  BaselinePrior prior;
  prior.median.fill(median);
  prior.scale.fill(scale);
  return prior;
}

nlohmann::json valid_model() {
  nlohmann::json m;
  m["format"] = "tonewatch-agitation-model";
  m["version"] = "test";
  m["features"] = nlohmann::json::array();
  for (auto name : tw::detect::kProsodyNames) m["features"].push_back(std::string(name));
  m["prior"]["median"] = std::vector<float>(kProsodyCount, 1.0f);
  m["prior"]["scale"] = std::vector<float>(kProsodyCount, 1.0f);
  m["logistic"]["bias"] = -1.0;
  m["logistic"]["weights"] = std::vector<float>(kProsodyCount, 0.5f);
  m["decision_threshold"] = 0.5;
  return m;
}

void require_rejected(const nlohmann::json& model, const std::string& message_part) {
  try {
    (void)AgitationModel::from_text(model.dump(), "model.json");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    INFO("message: " << what);
    CHECK(what.find("model.json") != std::string::npos);
    CHECK(what.find(message_part) != std::string::npos);
    return;
  }
  FAIL("accepted a malformed model; expected an error mentioning '" << message_part << "'");
}

}  // namespace

TEST_CASE("the shipped agitation model loads and rises with raised deviations", "[detect][model]") {
  const std::string text = tw::test::read_text(shipped_model_path());
  const AgitationModel model = AgitationModel::from_text(text, shipped_model_path());
  const nlohmann::json json = nlohmann::json::parse(text);
  CHECK(json.at("provenance").at("commit").get<std::string>().size() == 40);
  CHECK(json.contains("evaluation"));

  const float calm = model.score(filled(0.0f)).probability;
  // Higher and more effortful voice than the speaker's calm baseline, in every
  // feature the model may use in the arousal direction (models/README.md).
  ProsodyVector raised = filled(0.0f);
  raised[Prosody::f0_median_st] = 2.5f;
  raised[Prosody::f0_range_st] = 2.5f;
  raised[Prosody::loudness_db] = 2.5f;
  raised[Prosody::loudness_range_db] = 2.5f;
  raised[Prosody::alpha_ratio_db] = 2.5f;
  raised[Prosody::speaking_rate_syl_per_s] = 2.5f;
  const float agitated = model.score(raised).probability;
  INFO("calm " << calm << ", raised " << agitated << ", threshold " << model.decision_threshold());
  CHECK(agitated > calm);
  CHECK(calm < model.decision_threshold());
  CHECK(agitated >= model.decision_threshold());
  // Missing features count as "at baseline".
  CHECK(model.score(filled(kNaN)).probability == Approx(calm));
  // No feature may push the score down when the voice rises (direction rule).
  CHECK(model.weight(Prosody::f0_median_st) > 0.0f);
  CHECK(model.weight(Prosody::alpha_ratio_db) > 0.0f);
  for (Prosody p : {Prosody::f0_median_st, Prosody::f0_range_st, Prosody::loudness_db, Prosody::loudness_range_db,
                    Prosody::alpha_ratio_db, Prosody::speaking_rate_syl_per_s}) {
    CHECK(model.weight(p) >= 0.0f);
  }
}

TEST_CASE("malformed agitation models are rejected with a message", "[detect][model]") {
  REQUIRE_NOTHROW(AgitationModel::from_json(valid_model()));

  SECTION("not JSON") {
    CHECK_THROWS_WITH(AgitationModel::from_text("{\"format\": ", "model.json"),
                      Catch::Contains("model.json") && Catch::Contains("not valid JSON"));
  }
  SECTION("wrong format tag") {
    auto m = valid_model();
    m["format"] = "something-else";
    require_rejected(m, "tonewatch-agitation-model");
  }
  SECTION("missing weights") {
    auto m = valid_model();
    m["logistic"].erase("weights");
    require_rejected(m, "malformed model");
  }
  SECTION("one weight short") {
    auto m = valid_model();
    m["logistic"]["weights"].erase(m["logistic"]["weights"].size() - 1);
    require_rejected(m, "logistic.weights");
  }
  SECTION("a feature the runtime does not know") {
    auto m = valid_model();
    m["features"][0] = "jitter_percent";
    require_rejected(m, "f0_median_st");
  }
  SECTION("a non-positive scale") {
    auto m = valid_model();
    m["prior"]["scale"][2] = 0.0;
    require_rejected(m, "prior.scale");
  }
  SECTION("a weight that is not a number") {
    auto m = valid_model();
    m["logistic"]["weights"][1] = "high";
    require_rejected(m, "not a number");
  }
  SECTION("a threshold outside (0, 1)") {
    auto m = valid_model();
    m["decision_threshold"] = 1.5;
    require_rejected(m, "decision_threshold");
  }
  SECTION("a negative spread") {
    auto m = valid_model();
    m["prior"]["spread"] = std::vector<float>(kProsodyCount, 1.0f);
    m["prior"]["spread"][5] = -0.5;
    require_rejected(m, "hnr_db");
  }
  SECTION("a register boundary outside the registers") {
    auto m = valid_model();
    m["registers"]["boundary_f0_median_st"] = 40.0;
    for (const char* r : {"low", "high"}) {
      m["registers"][r]["median"] = std::vector<float>(kProsodyCount, r[0] == 'l' ? 25.0f : 33.0f);
      m["registers"][r]["spread"] = std::vector<float>(kProsodyCount, 1.0f);
    }
    require_rejected(m, "boundary_f0_median_st");
    m["registers"]["boundary_f0_median_st"] = 29.0;
    CHECK(AgitationModel::from_json(m).prior().has_registers);
    m["registers"]["high"].erase("spread");
    require_rejected(m, "malformed model");
  }
}

TEST_CASE("speaker baseline: only enough speech teaches it", "[detect][baseline]") {
  SpeakerBaseline b(ungated(), unit_prior(10.0f, 2.0f));
  CHECK_FALSE(b.update(filled(20.0f, 0.5f), false));  // 0.5 s < min_speech_s
  CHECK_FALSE(b.update(filled(20.0f, kNaN), false));
  CHECK(b.windows_learned() == 0);
  CHECK(b.median(Prosody::hnr_db) == 10.0f);
  CHECK(b.update(filled(20.0f, 1.0f), false));
  CHECK(b.windows_learned() == 1);
}

TEST_CASE("speaker baseline: prior shrinkage while learning / established after learning_windows", "[detect][baseline]") {
  BaselineConfig config;
  config.learning_windows = 4;
  config.prior_weight_windows = 2.0f;
  SpeakerBaseline b(ungated(config), unit_prior(10.0f, 2.0f));
  // One window at 16: (2 x 10 + 1 x 16) / 3 = 12.
  REQUIRE(b.update(filled(16.0f), false));
  CHECK(b.median(Prosody::f0_median_st) == Approx(12.0f));
  CHECK_FALSE(b.established());
  // Windows 16, 20, 18: median 18, shrunk (2 x 10 + 3 x 18) / 5 = 14.8.
  REQUIRE(b.update(filled(20.0f), false));
  REQUIRE(b.update(filled(18.0f), false));
  CHECK(b.median(Prosody::alpha_ratio_db) == Approx(14.8f));
  CHECK_FALSE(b.established());
  REQUIRE(b.update(filled(18.0f), false));
  CHECK(b.established());
  // Median of 16, 18, 18, 20 = 18: (2 x 10 + 4 x 18) / 6.
  CHECK(b.median(Prosody::hnr_db) == Approx(92.0f / 6.0f));
  b.reset();
  CHECK(b.windows_learned() == 0);
  CHECK(b.median(Prosody::hnr_db) == 10.0f);
}

TEST_CASE("speaker baseline: agitated windows never move an established baseline", "[detect][baseline]") {
  BaselineConfig config;
  config.learning_windows = 3;
  SpeakerBaseline b(config, unit_prior(10.0f, 2.0f));
  // Before anything is learned (and without registers) the verdict compares the
  // speaker with the population prior: it may not lock them out of their own baseline.
  CHECK(b.reference() == tw::detect::BaselineReference::population);
  CHECK(b.update(filled(14.0f), true));
  // Against their own first window it is honoured, while learning too.
  CHECK(b.reference() == tw::detect::BaselineReference::learning);
  CHECK_FALSE(b.update(filled(30.0f), true));
  CHECK(b.update(filled(14.0f), false));
  CHECK(b.update(filled(14.0f), false));
  REQUIRE(b.established());
  CHECK(b.reference() == tw::detect::BaselineReference::established);
  const float before = b.median(Prosody::f0_median_st);
  for (int i = 0; i < 20; ++i) CHECK_FALSE(b.update(filled(30.0f), true));
  CHECK(b.median(Prosody::f0_median_st) == before);
  CHECK(b.windows_learned() == 3);
}

namespace {

// Population: median 0, within-speaker scale 1, between-speaker spread 4.
// Low register: median -5, spread 1; high register: median +5, spread 3;
// boundary at F0 median 0.
BaselinePrior register_prior() {
  BaselinePrior p = unit_prior(0.0f, 1.0f);
  p.spread.fill(4.0f);
  p.has_registers = true;
  p.register_boundary_st = 0.0f;
  p.low.median.fill(-5.0f);
  p.low.spread.fill(1.0f);
  p.high.median.fill(5.0f);
  p.high.spread.fill(3.0f);
  return p;
}

ProsodyVector voiced_window(float value, float voiced_s, float speech_s = 2.5f) {
  ProsodyVector v = filled(value, speech_s);
  v.voiced_s = voiced_s;
  return v;
}

}  // namespace

TEST_CASE("speaker baseline: the pitch register shows after enough voiced speech and picks the prior", "[detect][baseline]") {
  using tw::detect::BaselineReference;
  using tw::detect::VoiceRegister;
  BaselineConfig config;  // register_min_voiced_s = 1, prior weight 2 windows
  SpeakerBaseline b(config, register_prior());
  // Unknown register: the population prior, widened by the population's spread.
  CHECK(b.reference() == BaselineReference::population);
  CHECK(b.scale(Prosody::hnr_db) == Approx(std::sqrt(1.0f + 16.0f)));
  // A window with too little voiced speech says nothing about the register, and a
  // model with registers learns nothing before it knows the register.
  b.observe_register(voiced_window(3.0f, 0.9f));
  CHECK(b.voice_register() == VoiceRegister::unknown);
  CHECK_FALSE(b.update(voiced_window(3.0f, 0.9f), false));
  // Enough voiced speech above the boundary: a high voice.
  b.observe_register(voiced_window(3.0f, 1.0f));
  CHECK(b.voice_register() == VoiceRegister::high);
  CHECK(b.reference() == BaselineReference::voice_register);
  CHECK(b.median(Prosody::alpha_ratio_db) == 5.0f);
  CHECK(b.scale(Prosody::alpha_ratio_db) == Approx(std::sqrt(1.0f + 9.0f)));
  CHECK(b.deviation(voiced_window(5.0f + std::sqrt(10.0f), 1.0f))[Prosody::alpha_ratio_db] == Approx(1.0f));
  // Learning one window at 3: median (2 x 5 + 1 x 3) / 3, and the prior's share
  // (2/3) of the register's spread (3) is still unknown.
  REQUIRE(b.update(voiced_window(3.0f, 1.0f), false));
  CHECK(b.reference() == BaselineReference::learning);
  CHECK(b.median(Prosody::alpha_ratio_db) == Approx(13.0f / 3.0f));
  CHECK(b.scale(Prosody::alpha_ratio_db) == Approx(std::sqrt(1.0f + 4.0f)));
  // Once the baseline holds calm windows, the register comes from them: one
  // high-pitched window of a low voice does not make it a high voice, nor does a
  // low window of this high voice make it low.
  b.observe_register(voiced_window(-3.0f, 2.0f));
  CHECK(b.voice_register() == VoiceRegister::high);
  b.reset();
  CHECK(b.voice_register() == VoiceRegister::unknown);
  b.observe_register(voiced_window(-0.5f, 1.5f));
  CHECK(b.voice_register() == VoiceRegister::low);
  CHECK(b.median(Prosody::hnr_db) == -5.0f);
  CHECK(b.scale(Prosody::hnr_db) == Approx(std::sqrt(2.0f)));
}

TEST_CASE("speaker baseline: a verdict against the register keeps an agitated voice out while learning", "[detect][baseline]") {
  SpeakerBaseline b(BaselineConfig{}, register_prior());
  b.observe_register(voiced_window(8.0f, 2.0f));
  REQUIRE(b.voice_register() == tw::detect::VoiceRegister::high);
  // A caller agitated from the first word does not become their own calm reference.
  for (int i = 0; i < 10; ++i) CHECK_FALSE(b.update(voiced_window(8.0f, 2.0f), true));
  CHECK(b.windows_learned() == 0);
  CHECK(b.median(Prosody::f0_median_st) == 5.0f);
  CHECK(b.update(voiced_window(5.5f, 2.0f), false));
  CHECK(b.windows_learned() == 1);
}

TEST_CASE("speaker baseline: slow adaptation once established", "[detect][baseline]") {
  BaselineConfig config;
  config.learning_windows = 2;
  config.prior_weight_windows = 0.0f;
  config.adaptation_scale_per_window = 0.02f;
  SpeakerBaseline b(ungated(config), unit_prior(0.0f, 2.0f));
  REQUIRE(b.update(filled(10.0f), false));
  REQUIRE(b.update(filled(10.0f), false));
  REQUIRE(b.established());
  CHECK(b.median(Prosody::f0_median_st) == Approx(10.0f));
  // Each calm window moves the median 0.02 x scale (0.04) toward it, however far it is.
  REQUIRE(b.update(filled(100.0f), false));
  CHECK(b.median(Prosody::f0_median_st) == Approx(10.04f));
  for (int i = 0; i < 9; ++i) REQUIRE(b.update(filled(100.0f), false));
  CHECK(b.median(Prosody::f0_median_st) == Approx(10.4f));
  REQUIRE(b.update(filled(-50.0f), false));
  CHECK(b.median(Prosody::f0_median_st) == Approx(10.36f));
  // A missing feature leaves its median alone.
  ProsodyVector partial = filled(100.0f);
  partial[Prosody::hnr_db] = kNaN;
  const float hnr = b.median(Prosody::hnr_db);
  REQUIRE(b.update(partial, false));
  CHECK(b.median(Prosody::hnr_db) == hnr);
}

TEST_CASE("speaker baseline: deviations in scale units / NaN where a feature is missing", "[detect][baseline]") {
  BaselinePrior prior = unit_prior(10.0f, 2.0f);
  prior.scale[static_cast<std::size_t>(Prosody::voiced_fraction)] = 0.1f;
  const SpeakerBaseline b(BaselineConfig{}, prior);
  ProsodyVector w = filled(14.0f, 2.5f);
  w[Prosody::voiced_fraction] = 10.2f;
  w[Prosody::f0_range_st] = kNaN;
  const ProsodyVector d = b.deviation(w);
  CHECK(d[Prosody::f0_median_st] == Approx(2.0f));
  CHECK(d[Prosody::voiced_fraction] == Approx(2.0f));
  CHECK(std::isnan(d[Prosody::f0_range_st]));
  CHECK_FALSE(d.has(Prosody::f0_range_st));
  CHECK(d.speech_s == 2.5f);
}

TEST_CASE("speaker baseline: bad configuration is rejected / naming the field", "[detect][baseline]") {
  BaselineConfig c;
  c.learning_windows = 0;
  CHECK_THROWS_WITH(SpeakerBaseline(c, unit_prior()), Catch::Contains("learning_windows"));
  c = {};
  c.adaptation_scale_per_window = 2.0f;
  CHECK_THROWS_WITH(SpeakerBaseline(c, unit_prior()), Catch::Contains("adaptation_scale_per_window"));
  c = {};
  c.min_speech_s = kNaN;
  CHECK_THROWS_WITH(SpeakerBaseline(c, unit_prior()), Catch::Contains("min_speech_s"));
  c = {};
  c.register_min_voiced_s = -1.0f;
  CHECK_THROWS_WITH(SpeakerBaseline(c, unit_prior()), Catch::Contains("register_min_voiced_s"));
  BaselinePrior p = unit_prior();
  p.scale[3] = 0.0f;
  CHECK_THROWS_WITH(SpeakerBaseline({}, p), Catch::Contains("loudness_range_db"));
  p = unit_prior();
  p.spread[4] = -1.0f;
  CHECK_THROWS_WITH(SpeakerBaseline({}, p), Catch::Contains("alpha_ratio_db"));
}

TEST_CASE("logistic regression recovers known weights", "[detect][model]") {
  // y ~ Bernoulli(sigmoid(1 + 2 x0 - x1)) on a grid, so the fit has a known answer.
  const int n = 4000;
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n), w = Eigen::VectorXd::Ones(n);
  std::uint32_t state = 12345;
  auto uniform = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<double>(state >> 8) / static_cast<double>(1u << 24);
  };
  for (int i = 0; i < n; ++i) {
    x(i, 0) = 4.0 * uniform() - 2.0;
    x(i, 1) = 4.0 * uniform() - 2.0;
    const double p = 1.0 / (1.0 + std::exp(-(1.0 + 2.0 * x(i, 0) - x(i, 1))));
    y(i) = uniform() < p ? 1.0 : 0.0;
  }
  const tw::training::LogisticFit fit = tw::training::fit_logistic(x, y, w, 0.0);
  CHECK(fit.converged);
  CHECK(fit.weights(0) == Approx(2.0).margin(0.2));
  CHECK(fit.weights(1) == Approx(-1.0).margin(0.15));
  CHECK(fit.bias == Approx(1.0).margin(0.15));
  // A penalty only shrinks.
  const tw::training::LogisticFit shrunk = tw::training::fit_logistic(x, y, w, 1.0);
  CHECK(std::fabs(shrunk.weights(0)) < std::fabs(fit.weights(0)));
}

TEST_CASE("AUC counts ties as half", "[detect][model]") {
  const std::vector<double> pos = {0.9, 0.5, 0.4}, neg = {0.5, 0.1};
  // Pairs: 0.9 beats both (2), 0.5 beats 0.1 and ties 0.5 (1.5), 0.4 beats 0.1 (1) -> 4.5 / 6.
  CHECK(tw::training::roc_auc(pos, neg) == Approx(0.75));
  CHECK(std::isnan(tw::training::roc_auc(pos, {})));
}

TEST_CASE("EmoDB leave-one-speaker-out: anger vs neutral AUC >= 0.90 / original and telephone", "[data][model]") {
  const std::string emodb = tw::test::shared_data_path("emodb");
  tw::test::shared_data_path("emodb/labels.csv");
  const auto start = std::chrono::steady_clock::now();
  tw::training::DatasetOptions options;
  options.emotions = "WN";  // anger vs neutral only keeps the test short
  options.threads = 2;
  const tw::training::Dataset data = tw::training::build_dataset(emodb, options);
  REQUIRE(data.speakers.size() == 10);
  const tw::training::TrainerOptions trainer;  // the shipped model's recipe
  const tw::training::LosoResult result = tw::training::evaluate_loso(data, trainer);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << tw::training::loso_table(data, result) << "  (features " << data.seconds << " s, total " << seconds
            << " s)\n";

  // The protocol: no baseline recording is ever a test item.
  for (const auto& s : result.scores) CHECK_FALSE(data.baseline_recording[s.recording]);
  for (auto condition : tw::training::kAllConditions) {
    const tw::training::Figures f =
        tw::training::loso_figures(data, result, tw::training::Contrast::anger_neutral, condition);
    INFO(tw::training::to_string(condition) << ": AUC " << f.auc << ", balanced accuracy " << f.balanced_accuracy
                                             << " (" << f.positives << " anger, " << f.negatives << " neutral)");
    CHECK(f.positives == 127);
    CHECK(f.negatives == 79 - 3 * 10);
    CHECK(f.auc >= 0.90);
    CHECK(f.balanced_accuracy >= 0.80);
  }

  // The shipped model is what the trainer makes from this code and data.
  const tw::training::TrainedModel all = tw::training::train_model(data, data.speakers, trainer);
  const AgitationModel shipped = AgitationModel::from_text(tw::test::read_text(shipped_model_path()), shipped_model_path());
  for (std::size_t f = 0; f < kProsodyCount; ++f) {
    INFO("feature " << tw::detect::kProsodyNames[f] << ": shipped weight "
                    << shipped.weight(static_cast<Prosody>(f)) << ", retrained " << all.weights[f]
                    << ". If the feature code changed, retrain: see models/README.md");
    CHECK(shipped.weight(static_cast<Prosody>(f)) == Approx(all.weights[f]).margin(0.05));
  }
  CHECK(shipped.bias() == Approx(all.bias).margin(0.1));
  // And so are its priors: the calm voices a speaker is judged against before their
  // own baseline, and the units of every deviation. A feature whose code changed
  // (the loudness read in voiced hops only, 2026-12-06) moves its prior while the
  // weights may stay put, so the weights alone cannot tell a stale model.
  const tw::detect::BaselinePrior& s = shipped.prior();
  const tw::detect::BaselinePrior& r = all.prior;
  REQUIRE(s.has_registers == r.has_registers);
  CHECK(s.register_boundary_st == Approx(r.register_boundary_st).margin(0.05));
  for (std::size_t f = 0; f < kProsodyCount; ++f) {
    INFO("feature " << tw::detect::kProsodyNames[f] << " (if the feature code changed, retrain: see models/README.md)");
    // Medians within 2 % of the feature's scale; scales and spreads within 1 %.
    const auto same_median = [&](float a, float b) { return std::fabs(a - b) <= 0.02f * r.scale[f] + 1e-4f; };
    const auto same_width = [](float a, float b) { return std::fabs(a - b) <= 0.01f * std::fabs(b) + 1e-4f; };
    INFO("prior median " << s.median[f] << " / " << r.median[f] << ", scale " << s.scale[f] << " / " << r.scale[f]
                         << ", spread " << s.spread[f] << " / " << r.spread[f] << " (shipped / retrained)");
    CHECK(same_median(s.median[f], r.median[f]));
    CHECK(same_width(s.scale[f], r.scale[f]));
    CHECK(same_width(s.spread[f], r.spread[f]));
    for (const auto& [shipped_register, retrained_register, name] :
         {std::tuple{&s.low, &r.low, "low"}, std::tuple{&s.high, &r.high, "high"}}) {
      INFO(name << " register: median " << shipped_register->median[f] << " / " << retrained_register->median[f]
                << ", spread " << shipped_register->spread[f] << " / " << retrained_register->spread[f]);
      CHECK(same_median(shipped_register->median[f], retrained_register->median[f]));
      CHECK(same_width(shipped_register->spread[f], retrained_register->spread[f]));
    }
  }
}

TEST_CASE("speaker baseline: a raised voice is never learned but a high calm one is", "[detect][baseline]") {
  // A register prior like the v1 model's high voices: pitch 32.7 st, within-speaker
  // scale 0.9 st, and a between-speaker spread of only 0.3 st, as a five-speaker
  // training fold gave (the 2 st population floor applies).
  BaselinePrior prior = unit_prior(0.0f, 1.0f);
  prior.median[static_cast<std::size_t>(Prosody::f0_median_st)] = 32.7f;
  prior.scale[static_cast<std::size_t>(Prosody::f0_median_st)] = 0.9f;
  prior.spread.fill(0.3f);
  const BaselineConfig config;
  auto window = [&](float f0_st, float loudness_units, float alpha_units) {
    ProsodyVector v = filled(0.0f);
    v[Prosody::f0_median_st] = f0_st;
    v[Prosody::loudness_db] = loudness_units * std::sqrt(1.0f + 0.09f);
    v[Prosody::alpha_ratio_db] = alpha_units * std::sqrt(1.0f + 0.09f);
    return v;
  };
  const float f0_unit = std::sqrt(0.81f + 4.0f);  // 2.19 st
  {
    // A calm voice 3.5 st above the register's median (1.6 units with the floor; 3.9
    // units of the fold's own 0.3 st spread): learned.
    SpeakerBaseline b(config, prior);
    CHECK_FALSE(b.extreme(window(32.7f + 3.5f, 0.0f, 0.0f)));
    CHECK(b.update(window(32.7f + 3.5f, 0.0f, 0.0f), false));
  }
  {
    // One cue at 4 units (pitch 8.8 st up), or the three averaging 2 units: refused
    // however calm the model found it, while learning and once established.
    SpeakerBaseline b(config, prior);
    CHECK(b.extreme(window(32.7f + 4.0f * f0_unit + 0.01f, 0.0f, 0.0f)));
    CHECK_FALSE(b.update(window(32.7f + 4.0f * f0_unit + 0.01f, 0.0f, 0.0f), false));
    CHECK(b.extreme(window(32.7f + 2.0f * f0_unit, 2.0f, 2.01f)));
    CHECK_FALSE(b.update(window(32.7f + 2.0f * f0_unit, 2.0f, 2.01f), false));
    CHECK(b.windows_learned() == 0);
    // Just under either bar: learned.
    CHECK_FALSE(b.extreme(window(32.7f + 2.0f * f0_unit, 2.0f, 1.9f)));
    CHECK(b.update(window(32.7f + 2.0f * f0_unit, 2.0f, 1.9f), false));
    // Quieter and lower never counts as raised, however far.
    CHECK_FALSE(b.extreme(window(20.0f, -8.0f, -8.0f)));
  }
}

TEST_CASE("speaker baseline: loudness is the speaker's own level from the first window learned", "[detect][baseline]") {
  // The line's gain is no one's norm: a call 9 dB quieter than the prior's level
  // is at its own baseline from the first window, while the other features are
  // still shrunk toward the prior. The scale stays widened while learning.
  BaselinePrior prior = unit_prior(0.0f, 2.0f);
  prior.spread.fill(4.0f);
  SpeakerBaseline b(ungated(), prior);
  ProsodyVector v = filled(0.0f);
  v[Prosody::loudness_db] = -9.0f;
  v[Prosody::hnr_db] = -9.0f;
  REQUIRE(b.update(v, false));
  CHECK(b.median(Prosody::loudness_db) == Approx(-9.0f));
  CHECK(b.median(Prosody::hnr_db) == Approx(-3.0f));  // (2 x 0 + 1 x -9) / 3
  CHECK(b.scale(Prosody::loudness_db) == Approx(b.scale(Prosody::hnr_db)));
  CHECK(b.scale(Prosody::loudness_db) > 2.0f);
}

