#pragma once
// Per-speaker agitation score every second, its smoothed level and trend.

#include <array>
#include <cstddef>

#include "detect/agitation_model.h"
#include "detect/speaker_baseline.h"

namespace tw::detect {

struct AgitationConfig {
  /// Windows with less voice-active time carry no new evidence: the score holds.
  float min_speech_s = 1.0f;
  /// Time constant of the smoothed level (exponentially weighted moving average).
  float smoothing_s = 4.0f;
  /// CUSUM for a sustained rise (Page 1954): accumulate score - reference - slack
  /// per scored second, floored at 0; a rise is signalled above the threshold.
  /// With reference 0.45 and slack 0.1, calm speech (neutral EmoDB speech over a
  /// telephone line scores a median 0.17, models/agitation-v1.json) keeps the sum at 0
  /// even in its louder windows, and two consecutive windows of clearly agitated speech
  /// (0.85+, each a 3 s window) cross 0.6 while one does not; one loud word moves a
  /// window's medians too little.
  float cusum_reference = 0.45f;
  float cusum_slack = 0.10f;
  float cusum_threshold = 0.6f;
  /// Slope of the smoothed level over this window, per minute, for the report.
  float trend_window_s = 20.0f;
};

/// The tracker's view of one speaker after a window.
struct AgitationState {
  double time_s = 0.0;
  bool scored = false;        ///< this window held enough speech to be scored
  float score = 0.0f;         ///< the model's probability for this window (last scored value if not scored)
  float smoothed = 0.0f;      ///< EWMA of the score
  float slope_per_min = 0.0f; ///< least-squares slope of `smoothed` over trend_window_s
  float cusum = 0.0f;
  bool rising = false;        ///< cusum above its threshold while the smoothed level still climbs
  bool baseline_established = false;
  ProsodyVector window;       ///< the window's features
  ProsodyVector deviation;    ///< ... relative to the baseline, in scale units
  AgitationScore details;
};

/// One speaker: baseline, model score, smoothing and trend. The model is shared
/// and immutable; everything else is per stream.
class AgitationTracker {
 public:
  /// Throws std::invalid_argument naming a bad config field.
  AgitationTracker(const AgitationConfig& config, const BaselineConfig& baseline, const AgitationModel& model);
  /// One window summary (once a second). Allocation-free.
  const AgitationState& update(double time_s, const ProsodyVector& window) noexcept;
  const AgitationState& state() const noexcept { return state_; }
  const SpeakerBaseline& baseline() const noexcept { return baseline_; }
  void reset() noexcept;

 private:
  static constexpr std::size_t kTrendCapacity = 128;

  AgitationConfig config_;
  const AgitationModel* model_;
  SpeakerBaseline baseline_;
  AgitationState state_;
  bool has_score_ = false;
  std::array<float, kTrendCapacity> trend_{};  // smoothed level once a second
  std::array<double, kTrendCapacity> trend_time_{};
  std::size_t trend_count_ = 0, trend_next_ = 0;
  double last_time_s_ = 0.0;
};

}  // namespace tw::detect
