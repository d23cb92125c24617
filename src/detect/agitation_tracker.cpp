#include "detect/agitation_tracker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::detect {

void AgitationTracker::validate(const AgitationConfig& config) {
  if (!(config.min_speech_s >= 0.0f)) throw std::invalid_argument("AgitationConfig: min_speech_s must be >= 0");
  if (!(config.smoothing_speech_s > 0.0f)) throw std::invalid_argument("AgitationConfig: smoothing_speech_s must be > 0");
  if (!(config.cusum_reference > 0.0f && config.cusum_reference < 1.0f)) {
    throw std::invalid_argument("AgitationConfig: cusum_reference must be in (0, 1)");
  }
  if (!(config.cusum_reference_unestablished >= config.cusum_reference && config.cusum_reference_unestablished < 1.0f)) {
    throw std::invalid_argument("AgitationConfig: cusum_reference_unestablished must be in [cusum_reference, 1)");
  }
  if (!(config.cusum_threshold > 0.0f)) throw std::invalid_argument("AgitationConfig: cusum_threshold must be > 0");
  SpeechPace(config.pace_speech_s, config.pace_min_syllables);  // its own range checks
  if (!(config.trend_window_speech_s >= 2.0f && config.trend_window_speech_s <= 120.0f)) {
    throw std::invalid_argument("AgitationConfig: trend_window_speech_s must be in 2..120");
  }
}

AgitationTracker::AgitationTracker(const AgitationConfig& config, const BaselineConfig& baseline,
                                   const AgitationModel& model)
    : config_(config), model_(&model), baseline_(baseline, model.prior()), pace_(config.pace_speech_s, config.pace_min_syllables) {
  validate(config);
  reset();
}

void AgitationTracker::reset() noexcept {
  baseline_.reset();
  pace_.reset();
  state_ = {};
  // Until there is evidence, a speaker is as calm as a voice at its own baseline.
  state_.smoothed = model_->calm_probability();
  state_.score = state_.smoothed;
  pending_speech_s_ = 0.0f;
  speech_total_s_ = 0.0;
  trend_count_ = trend_next_ = 0;
}

const AgitationState& AgitationTracker::update(double time_s, const ProsodyVector& summary) noexcept {
  AgitationState& s = state_;
  s.time_s = time_s;
  // The rate is the speaker's pace over their last seconds of speech (see
  // AgitationConfig::pace_speech_s); everything else is the window's.
  pace_.add(summary);
  ProsodyVector window = summary;
  window[Prosody::speaking_rate_syl_per_s] = pace_.pace();
  s.window = window;
  s.counted = false;
  s.weight_s = 0.0f;
  // Speech this window brings; it waits here until a window can score it.
  pending_speech_s_ += std::max(0.0f, window.new_speech_s);
  s.scored = window.speech_s >= config_.min_speech_s;
  if (s.scored) {
    baseline_.observe_register(window);
    s.reference = baseline_.reference();
    s.voice_register = baseline_.voice_register();
    s.deviation = baseline_.deviation(window);
    s.details = model_->score(s.deviation);
    s.score = s.details.probability;
    // Learn the speaker's calm voice, never their agitated one. Before the
    // baseline is established a window is judged against other people's calm
    // voices, where calm windows reach 0.6-0.7 (see cusum_reference_unestablished):
    // refusing those at the model's 0.5 would teach the baseline only the
    // speaker's lowest, quietest windows, and their ordinary voice would then read
    // as raised. So the bar while learning is the same as the CUSUM's.
    const float refuse_at = baseline_.established() ? model_->decision_threshold() : config_.cusum_reference_unestablished;
    baseline_.update(window, s.score >= refuse_at);
    if (s.reference != BaselineReference::population) {
      // Each second of speech counts once, with the score of the first window
      // that could score it; speech older than this window's 3 s is gone.
      const float weight = std::min(pending_speech_s_, window.speech_s);
      pending_speech_s_ = 0.0f;
      s.counted = true;
      s.weight_s = weight;
      const float alpha = 1.0f - std::exp(-weight / config_.smoothing_speech_s);
      s.smoothed += alpha * (s.score - s.smoothed);
      // Capped at twice the threshold, so a long agitated stretch does not bank
      // minutes of credit: the sum drains within a few seconds of calm speech.
      // Before the baseline is the speaker's own, the bar is higher (see
      // AgitationConfig::cusum_reference_unestablished): a calm voice unlike
      // the prior must not add up to a rise, a voice angry from the first word does.
      const float reference = s.reference == BaselineReference::established ? config_.cusum_reference
                                                                           : config_.cusum_reference_unestablished;
      s.cusum = std::clamp(s.cusum + (s.score - reference) * weight, 0.0f, 2.0f * config_.cusum_threshold);
      speech_total_s_ += weight;
      trend_[trend_next_] = s.smoothed;
      trend_speech_[trend_next_] = speech_total_s_;
      trend_next_ = (trend_next_ + 1) % kTrendCapacity;
      trend_count_ = std::min(trend_count_ + 1, kTrendCapacity);
    }
  }
  s.baseline_established = baseline_.established();

  // Trend: least-squares slope of the smoothed level over the last stretch of
  // counted speech. Silence adds no points, so it neither flattens nor extends it.
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < trend_count_; ++i) {
    const std::size_t j = (trend_next_ + kTrendCapacity - 1 - i) % kTrendCapacity;
    const double x = trend_speech_[j] - speech_total_s_;
    if (x < -config_.trend_window_speech_s) break;
    n += 1;
    sx += x;
    sy += trend_[j];
    sxx += x * x;
    sxy += x * trend_[j];
  }
  const double denominator = n * sxx - sx * sx;
  s.slope_per_min = n >= 3 && denominator > 1e-9 ? static_cast<float>(60.0 * (n * sxy - sx * sy) / denominator) : 0.0f;
  // Rising: the CUSUM has found a sustained shift up and the level is still
  // climbing (a high plateau is caller_agitation_high's business, not a rise).
  s.rising = s.cusum >= config_.cusum_threshold && s.slope_per_min > 0.0f;
  return s;
}

}  // namespace tw::detect
