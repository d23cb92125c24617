#include "detect/speaker_baseline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tw::detect {
namespace {

constexpr auto kBaselineF0 = static_cast<std::size_t>(Prosody::f0_median_st);

// How far adult speakers' own calm F0 levels lie from their sex's mean: about 2
// semitones (one standard deviation; 20-25 Hz around 210 Hz for women and 12-15 Hz
// around 120 Hz for men in Traunmueller & Eriksson 1995 and Baken & Orlikoff 2000).
// A model trained on a handful of speakers per register can report far less (0.3 st
// in a five-speaker fold of EmoDB), which made ordinary high voices read as extreme.
constexpr float kF0SpreadFloorSt = 2.0f;

void check_prior(const std::array<float, kProsodyCount>& median, const std::array<float, kProsodyCount>& spread,
                 const std::string& what) {
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    if (!std::isfinite(median[i]) || !(spread[i] >= 0.0f) || !std::isfinite(spread[i])) {
      throw std::invalid_argument("BaselinePrior: " + what + " feature " + std::string(kProsodyNames[i]) +
                                  " needs a finite median and a spread >= 0");
    }
  }
}

}  // namespace

SpeakerBaseline::SpeakerBaseline(const BaselineConfig& config, const BaselinePrior& prior)
    : config_(config), prior_(prior), population_{prior.median, prior.spread} {
  if (!(config.min_speech_s >= 0.0f)) throw std::invalid_argument("BaselineConfig: min_speech_s must be >= 0");
  if (config.learning_windows == 0 || config.learning_windows > kMaxLearningWindows) {
    throw std::invalid_argument("BaselineConfig: learning_windows must be in 1.." + std::to_string(kMaxLearningWindows));
  }
  if (!(config.prior_weight_windows >= 0.0f)) {
    throw std::invalid_argument("BaselineConfig: prior_weight_windows must be >= 0");
  }
  if (!(config.adaptation_scale_per_window >= 0.0f && config.adaptation_scale_per_window <= 1.0f)) {
    throw std::invalid_argument("BaselineConfig: adaptation_scale_per_window must be in [0, 1]");
  }
  if (!(config.extreme_cue_units > 0.0f) || !(config.extreme_mean_units > 0.0f)) {
    throw std::invalid_argument("BaselineConfig: extreme_cue_units and extreme_mean_units must be > 0");
  }
  if (!(config.register_min_voiced_s >= 0.0f)) {
    throw std::invalid_argument("BaselineConfig: register_min_voiced_s must be >= 0");
  }
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    if (!(prior.scale[i] > 0.0f) || !std::isfinite(prior.median[i])) {
      throw std::invalid_argument("BaselinePrior: feature " + std::string(kProsodyNames[i]) +
                                  " needs a finite median and a scale > 0");
    }
  }
  check_prior(prior.median, prior.spread, "population");
  if (prior.has_registers) {
    if (!std::isfinite(prior.register_boundary_st)) throw std::invalid_argument("BaselinePrior: register boundary must be finite");
    check_prior(prior.low.median, prior.low.spread, "low register");
    check_prior(prior.high.median, prior.high.spread, "high register");
  }
  reset();
}

void SpeakerBaseline::reset() noexcept {
  register_ = VoiceRegister::unknown;
  windows_learned_ = 0;
  learned_count_.fill(0);
  for (std::size_t i = 0; i < kProsodyCount; ++i) recompute(i);
}

BaselineReference SpeakerBaseline::reference() const noexcept {
  if (established()) return BaselineReference::established;
  if (windows_learned_ > 0) return BaselineReference::learning;
  if (register_ != VoiceRegister::unknown) return BaselineReference::voice_register;
  return BaselineReference::population;
}

float SpeakerBaseline::observed_median(std::size_t feature) const noexcept {
  const std::size_t n = learned_count_[feature];
  std::array<float, kMaxLearningWindows> sorted = learned_[feature];
  std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
  return n % 2 == 1 ? sorted[n / 2] : 0.5f * (sorted[n / 2 - 1] + sorted[n / 2]);
}

void SpeakerBaseline::recompute(std::size_t feature) noexcept {
  const RegisterPrior& calm = calm_voices();
  const float prior_median = calm.median[feature];
  const float spread = calm.spread[feature];
  const std::size_t n = learned_count_[feature];
  const float w0 = config_.prior_weight_windows;
  // The prior's share of the shrunk median: (w0 prior + n own) / (w0 + n).
  const float prior_share = w0 + static_cast<float>(n) > 0.0f ? w0 / (w0 + static_cast<float>(n)) : 1.0f;
  // Loudness is the line's gain as much as the voice: the population's level says
  // nothing of this call's, so from the first window learned the speaker's own
  // level is the median (only the scale stays widened while it is learned). Shrunk
  // toward the prior it sat 2-4 dB above a call at -30 dBFS, and the raised-voice
  // rule's "not quieter" bar refused an agent shouting 10 s in (issue 27).
  const bool level = feature == static_cast<std::size_t>(Prosody::loudness_db);
  median_[feature] = n == 0 ? prior_median
                     : level ? observed_median(feature)
                             : prior_share * prior_median + (1.0f - prior_share) * observed_median(feature);
  // What is still unknown about this speaker's calm level is the prior's share
  // of the median times how far speakers' own levels lie from the prior (the
  // between-speaker spread): a window of a calm voice at the edge of its register
  // is that much further from the register's median, and must not read as
  // agitated for it. Added in quadrature to the within-speaker scale (independent
  // errors), so deviations start wide and narrow to the speaker's own as the
  // baseline learns.
  const float unknown = prior_share * spread;
  scale_[feature] = std::sqrt(prior_.scale[feature] * prior_.scale[feature] + unknown * unknown);
}

const RegisterPrior& SpeakerBaseline::calm_voices() const noexcept {
  return register_ == VoiceRegister::low ? prior_.low : register_ == VoiceRegister::high ? prior_.high : population_;
}

void SpeakerBaseline::set_register(VoiceRegister r) noexcept {
  register_ = r;
  for (std::size_t i = 0; i < kProsodyCount; ++i) recompute(i);
}

void SpeakerBaseline::observe_register(const ProsodyVector& window) noexcept {
  if (!prior_.has_registers || established()) return;
  // The register of the speaker's calm voice: from the windows the baseline
  // learned (judged calm) once there are some, else from this window.
  float f0_st = NAN;
  if (learned_count_[kBaselineF0] > 0) {
    f0_st = observed_median(kBaselineF0);
  } else if (window.voiced_s >= config_.register_min_voiced_s) {
    f0_st = window.values[kBaselineF0];
  }
  if (!std::isfinite(f0_st)) return;
  const VoiceRegister r = f0_st < prior_.register_boundary_st ? VoiceRegister::low : VoiceRegister::high;
  if (r != register_) set_register(r);
}

bool SpeakerBaseline::extreme(const ProsodyVector& window) const noexcept {
  // Against the calm voices of the speaker's register (the population's while it
  // is unknown), never against what this speaker's baseline has learned so far: a
  // partly learned baseline sits wherever its first windows put it, and its narrowed
  // scale then made the speaker's own ordinary voice read as extreme, so nothing
  // more was learned (seen with a female agent whose first calm window was low).
  const RegisterPrior& r = calm_voices();
  float sum = 0.0f;
  int n = 0;
  for (const Prosody p : kEffortCues) {
    const auto i = static_cast<std::size_t>(p);
    const float spread = p == Prosody::f0_median_st ? std::max(r.spread[i], kF0SpreadFloorSt) : r.spread[i];
    const float scale = std::sqrt(prior_.scale[i] * prior_.scale[i] + spread * spread);
    const float units = (window.values[i] - r.median[i]) / scale;
    if (!std::isfinite(units)) continue;
    if (units >= config_.extreme_cue_units) return true;
    sum += units;
    ++n;
  }
  return n > 0 && sum / static_cast<float>(n) >= config_.extreme_mean_units;
}

bool SpeakerBaseline::update(const ProsodyVector& window, bool agitated) noexcept {
  if (!(window.speech_s >= config_.min_speech_s)) return false;
  if (extreme(window)) return false;
  if (established()) {
    if (agitated) return false;
    for (std::size_t i = 0; i < kProsodyCount; ++i) {
      const float x = window.values[i];
      if (!std::isfinite(x)) continue;
      const float step = config_.adaptation_scale_per_window * prior_.scale[i];
      median_[i] += x > median_[i] ? step : (x < median_[i] ? -step : 0.0f);
    }
    ++windows_learned_;
    return true;
  }
  // Learning. A verdict against the register's calm voices (or the speaker's
  // own first windows) is honoured: a caller agitated from the first word must
  // not become their own calm reference. A verdict against the mixed population
  // alone is not: it says how unusual a voice is, and honouring it locked calm
  // high voices out of their own baseline (with the v1 model on EmoDB, 20 of 125
  // calm call-start windows of four female speakers were refused). A model with
  // registers therefore learns nothing until the register is known.
  if (prior_.has_registers && register_ == VoiceRegister::unknown) return false;
  if (agitated && reference() != BaselineReference::population) return false;
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    const float x = window.values[i];
    if (!std::isfinite(x)) continue;
    if (learned_count_[i] < kMaxLearningWindows) learned_[i][learned_count_[i]++] = x;
    recompute(i);
  }
  ++windows_learned_;
  return true;
}

ProsodyVector SpeakerBaseline::deviation(const ProsodyVector& window) const noexcept {
  ProsodyVector d;
  d.speech_s = window.speech_s;
  d.new_speech_s = window.new_speech_s;
  d.new_syllables = window.new_syllables;
  d.voiced_s = window.voiced_s;
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    d.values[i] = (window.values[i] - median_[i]) / scale_[i];  // NaN stays NaN
  }
  return d;
}

}  // namespace tw::detect
