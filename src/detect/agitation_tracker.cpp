#include "detect/agitation_tracker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::detect {

AgitationTracker::AgitationTracker(const AgitationConfig& config, const BaselineConfig& baseline,
                                   const AgitationModel& model)
    : config_(config), model_(&model), baseline_(baseline, model.prior()) {
  if (!(config.smoothing_s > 0.0f)) throw std::invalid_argument("AgitationConfig: smoothing_s must be > 0");
  if (!(config.cusum_threshold > 0.0f)) throw std::invalid_argument("AgitationConfig: cusum_threshold must be > 0");
  if (!(config.cusum_slack >= 0.0f)) throw std::invalid_argument("AgitationConfig: cusum_slack must be >= 0");
  if (!(config.trend_window_s >= 2.0f && config.trend_window_s <= static_cast<float>(kTrendCapacity))) {
    throw std::invalid_argument("AgitationConfig: trend_window_s must be in 2..128");
  }
}

void AgitationTracker::reset() noexcept {
  baseline_.reset();
  state_ = {};
  has_score_ = false;
  trend_count_ = trend_next_ = 0;
  last_time_s_ = 0.0;
}

const AgitationState& AgitationTracker::update(double time_s, const ProsodyVector& window) noexcept {
  const double dt = has_score_ ? std::max(0.0, time_s - last_time_s_) : 1.0;
  last_time_s_ = time_s;
  AgitationState& s = state_;
  s.time_s = time_s;
  s.window = window;
  s.scored = window.speech_s >= config_.min_speech_s;
  if (s.scored) {
    s.deviation = baseline_.deviation(window);
    s.details = model_->score(s.deviation);
    s.score = s.details.probability;
    // Learn the speaker's calm voice, never their agitated one.
    baseline_.update(window, s.score >= model_->decision_threshold());
    if (!has_score_) {
      s.smoothed = s.score;
      has_score_ = true;
    } else {
      const float alpha = 1.0f - std::exp(-static_cast<float>(dt) / config_.smoothing_s);
      s.smoothed += alpha * (s.score - s.smoothed);
    }
    // Capped at twice the threshold, so a long agitated stretch does not bank
    // minutes of credit: the sum drains within a few calm windows afterwards.
    s.cusum = std::clamp(s.cusum + s.score - config_.cusum_reference - config_.cusum_slack, 0.0f,
                         2.0f * config_.cusum_threshold);
  } else {
    // A silent speaker is not getting more agitated: the sum drains slowly.
    s.cusum = std::max(0.0f, s.cusum - config_.cusum_slack * static_cast<float>(dt));
  }
  s.baseline_established = baseline_.established();

  // Trend: least-squares slope of the smoothed level over the trend window.
  trend_[trend_next_] = s.smoothed;
  trend_time_[trend_next_] = time_s;
  trend_next_ = (trend_next_ + 1) % kTrendCapacity;
  trend_count_ = std::min(trend_count_ + 1, kTrendCapacity);
  double n = 0, st = 0, sy = 0, stt = 0, sty = 0;
  for (std::size_t i = 0; i < trend_count_; ++i) {
    const std::size_t j = (trend_next_ + kTrendCapacity - 1 - i) % kTrendCapacity;
    const double t = trend_time_[j] - time_s;
    if (t < -config_.trend_window_s) break;
    n += 1;
    st += t;
    sy += trend_[j];
    stt += t * t;
    sty += t * trend_[j];
  }
  const double denominator = n * stt - st * st;
  s.slope_per_min = n >= 3 && denominator > 1e-9 ? static_cast<float>(60.0 * (n * sty - st * sy) / denominator) : 0.0f;
  // Rising: the CUSUM has found a sustained shift up and the level is still
  // climbing (a high plateau is caller_agitation_high's business, not a rise).
  s.rising = s.cusum >= config_.cusum_threshold && s.slope_per_min > 0.0f;
  return s;
}

}  // namespace tw::detect
