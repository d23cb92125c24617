// Bad feature configuration is rejected at construction, one case per rule,
// with a std::invalid_argument whose message names the field.

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/spectrum_analyzer.h"
#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "features/pitch_tracker.h"
#include "features/syllable_detector.h"
#include "features/voice_activity_detector.h"
#include "features/window_summary.h"

#include "support/config_checks.h"

using tw::test::check_rejected;

namespace {

template <class Config>
struct Rule {
  std::string description;
  std::string field;
  std::function<void(Config&)> break_it;
};

const tw::dsp::SpectrumAnalyzer& analyzer() {
  static const tw::dsp::SpectrumAnalyzer instance(tw::dsp::kFrameSize40ms8kHz, tw::dsp::kAnalysisRateHz);
  return instance;
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST_CASE("PitchConfig: each rule rejects a bad value naming the field", "[config][pitch]") {
  using tw::features::PitchConfig;
  REQUIRE_NOTHROW(tw::features::PitchTracker(PitchConfig{}, analyzer()));
  const std::vector<Rule<PitchConfig>> rules = {
      {"min_f0_hz > 0", "min_f0_hz", [](PitchConfig& c) { c.min_f0_hz = 0.0f; }},
      {"min_f0_hz not NaN", "min_f0_hz", [](PitchConfig& c) { c.min_f0_hz = kNaN; }},
      {"max_f0_hz > min_f0_hz", "max_f0_hz", [](PitchConfig& c) { c.max_f0_hz = c.min_f0_hz; }},
      {"yin_threshold > 0", "yin_threshold", [](PitchConfig& c) { c.yin_threshold = 0.0f; }},
      {"yin_threshold < 1", "yin_threshold", [](PitchConfig& c) { c.yin_threshold = 1.0f; c.voicing_threshold = 1.0f; }},
      {"voicing_threshold >= yin_threshold", "voicing_threshold",
       [](PitchConfig& c) { c.voicing_threshold = c.yin_threshold - 0.01f; }},
      {"voicing_threshold < 1", "voicing_threshold", [](PitchConfig& c) { c.voicing_threshold = 1.0f; }},
      {"submultiple_tolerance >= 0", "submultiple_tolerance", [](PitchConfig& c) { c.submultiple_tolerance = -0.1f; }},
      {"decision_latency_hops >= 0", "decision_latency_hops", [](PitchConfig& c) { c.decision_latency_hops = -1; }},
      {"decision_latency_hops <= 16", "decision_latency_hops", [](PitchConfig& c) { c.decision_latency_hops = 17; }},
      {"sieve_contrast_db finite", "sieve_contrast_db", [](PitchConfig& c) { c.sieve_contrast_db = NAN; }},
      {"sieve_level_db finite", "sieve_level_db", [](PitchConfig& c) { c.sieve_level_db = INFINITY; }},
      {"octave_jump_cost >= 0", "octave_jump_cost", [](PitchConfig& c) { c.octave_jump_cost = -0.1f; }},
      {"overrule_cost >= 0", "overrule_cost", [](PitchConfig& c) { c.overrule_cost = -0.1f; }},
      {"continue_voicing_threshold >= voicing_threshold", "continue_voicing_threshold",
       [](PitchConfig& c) { c.continue_voicing_threshold = c.voicing_threshold - 0.01f; }},
      {"continue_voicing_threshold < 1", "continue_voicing_threshold",
       [](PitchConfig& c) { c.continue_voicing_threshold = 1.0f; }},
      {"analysis_band_hz > 2 * max_f0_hz", "analysis_band_hz", [](PitchConfig& c) { c.analysis_band_hz = 900.0f; }},
      {"analysis_band_hz <= Nyquist", "analysis_band_hz", [](PitchConfig& c) { c.analysis_band_hz = 4100.0f; }},
      // A 40 ms frame holds two periods of 50 Hz at most; the lag search would wrap.
      {"min_f0_hz fits the frame", "min_f0_hz", [](PitchConfig& c) { c.min_f0_hz = 30.0f; }},
  };
  for (const auto& rule : rules) {
    PitchConfig config;
    rule.break_it(config);
    check_rejected(rule.description, [&] { tw::features::PitchTracker(config, analyzer()); }, rule.field);
  }
  // The extractor passes its sub-configurations on: a bad one stops it too.
  tw::features::FeatureConfig config;
  config.pitch.min_f0_hz = -1.0f;
  check_rejected("FeatureExtractor validates pitch", [&] { tw::features::FeatureExtractor extractor(config); },
                 "min_f0_hz");
}

TEST_CASE("VoiceActivityConfig: each rule rejects a bad value naming the field", "[config][vad]") {
  using tw::features::VoiceActivityConfig;
  REQUIRE_NOTHROW(tw::features::VoiceActivityDetector(VoiceActivityConfig{}, analyzer()));
  const std::vector<Rule<VoiceActivityConfig>> rules = {
      {"band_low_hz >= 0", "band_low_hz", [](VoiceActivityConfig& c) { c.band_low_hz = -10.0f; }},
      {"band_high_hz > band_low_hz", "band_high_hz", [](VoiceActivityConfig& c) { c.band_high_hz = c.band_low_hz; }},
      {"floor_window_s >= 0.5", "floor_window_s", [](VoiceActivityConfig& c) { c.floor_window_s = 0.4f; }},
      {"smoothing_s >= 0", "smoothing_s", [](VoiceActivityConfig& c) { c.smoothing_s = -0.01f; }},
      {"onset_snr_db >= offset_snr_db", "onset_snr_db",
       [](VoiceActivityConfig& c) { c.onset_snr_db = c.offset_snr_db - 1.0f; }},
      {"offset_snr_db > 0", "offset_snr_db", [](VoiceActivityConfig& c) { c.offset_snr_db = 0.0f; }},
      {"voiced_snr_db > 0", "voiced_snr_db", [](VoiceActivityConfig& c) { c.voiced_snr_db = 0.0f; }},
      {"pitch search at most at the voiced SNR", "pitch_search_snr_db",
       [](VoiceActivityConfig& c) { c.pitch_search_snr_db = c.voiced_snr_db + 0.5f; }},
      {"voiced_min_voicing > 0", "voiced_min_voicing", [](VoiceActivityConfig& c) { c.voiced_min_voicing = 0.0f; }},
      {"voiced_min_voicing <= 1", "voiced_min_voicing", [](VoiceActivityConfig& c) { c.voiced_min_voicing = 1.01f; }},
      {"hangover_s >= 0", "hangover_s", [](VoiceActivityConfig& c) { c.hangover_s = -0.1f; }},
      {"hangover_s not NaN", "hangover_s", [](VoiceActivityConfig& c) { c.hangover_s = kNaN; }},
      {"offset_voiced_within_s >= 0", "offset_voiced_within_s",
       [](VoiceActivityConfig& c) { c.offset_voiced_within_s = -0.1f; }},
      {"offset_voiced_within_s not NaN", "offset_voiced_within_s",
       [](VoiceActivityConfig& c) { c.offset_voiced_within_s = kNaN; }},
  };
  for (const auto& rule : rules) {
    VoiceActivityConfig config;
    rule.break_it(config);
    check_rejected(rule.description, [&] { tw::features::VoiceActivityDetector(config, analyzer()); }, rule.field);
  }
  tw::features::FeatureConfig config;
  config.vad.hangover_s = -1.0f;
  check_rejected("FeatureExtractor validates vad", [&] { tw::features::FeatureExtractor extractor(config); },
                 "hangover_s");
}

TEST_CASE("SyllableConfig: each rule rejects a bad value naming the field", "[config][syllable]") {
  using tw::features::SyllableConfig;
  REQUIRE_NOTHROW(tw::features::SyllableDetector(SyllableConfig{}, analyzer()));
  const std::vector<Rule<SyllableConfig>> rules = {
      {"band_low_hz >= 0", "band_low_hz", [](SyllableConfig& c) { c.band_low_hz = -1.0f; }},
      {"band_high_hz > band_low_hz", "band_high_hz", [](SyllableConfig& c) { c.band_high_hz = 100.0f; }},
      {"min_dip_db > 0", "min_dip_db", [](SyllableConfig& c) { c.min_dip_db = 0.0f; }},
      {"max_below_peak_db > 0", "max_below_peak_db", [](SyllableConfig& c) { c.max_below_peak_db = 0.0f; }},
      {"min_voicing >= 0", "min_voicing", [](SyllableConfig& c) { c.min_voicing = -0.1f; }},
      {"min_voicing <= 1", "min_voicing", [](SyllableConfig& c) { c.min_voicing = 1.1f; }},
      {"min_separation_s >= 0", "min_separation_s", [](SyllableConfig& c) { c.min_separation_s = -0.01f; }},
  };
  for (const auto& rule : rules) {
    SyllableConfig config;
    rule.break_it(config);
    check_rejected(rule.description, [&] { tw::features::SyllableDetector(config, analyzer()); }, rule.field);
  }
  tw::features::FeatureConfig config;
  config.syllable.min_dip_db = -2.0f;
  check_rejected("FeatureExtractor validates syllables", [&] { tw::features::FeatureExtractor extractor(config); },
                 "min_dip_db");
}

TEST_CASE("SummaryConfig: each rule rejects a bad value naming the field", "[config][summary]") {
  using tw::features::SummaryConfig;
  REQUIRE_NOTHROW(tw::features::WindowSummarizer(SummaryConfig{}));
  const std::vector<Rule<SummaryConfig>> rules = {
      {"window_hops > 0", "window_hops", [](SummaryConfig& c) { c.window_hops = 0; }},
      {"period_hops > 0", "period_hops", [](SummaryConfig& c) { c.period_hops = 0; }},
      {"period_hops <= window_hops", "period_hops", [](SummaryConfig& c) { c.period_hops = c.window_hops + 1; }},
  };
  for (const auto& rule : rules) {
    SummaryConfig config;
    rule.break_it(config);
    check_rejected(rule.description, [&] { tw::features::WindowSummarizer summarizer(config); }, rule.field);
  }
}
