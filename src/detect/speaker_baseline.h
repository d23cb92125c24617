#pragma once
// Each speaker measured against their own voice: a robust running baseline.

#include <array>
#include <cstddef>

#include "detect/prosody_vector.h"

namespace tw::detect {

/// Population figures from the model file that stand in for a speaker until
/// their own baseline is learned: typical calm-speech level of each feature and
/// its typical within-speaker spread (the unit deviations are measured in).
struct BaselinePrior {
  std::array<float, kProsodyCount> median{};
  std::array<float, kProsodyCount> scale{};
};

struct BaselineConfig {
  /// Windows with less voice-active time than this teach the baseline nothing.
  float min_speech_s = 1.0f;
  /// Qualifying windows collected before the baseline counts as the speaker's own.
  std::size_t learning_windows = 8;
  /// While learning, the prior counts as this many windows (shrinkage), so the
  /// first windows move the baseline smoothly away from the population.
  float prior_weight_windows = 2.0f;
  /// After learning the median tracks slowly: per qualifying window it moves by
  /// this fraction of the feature's scale toward the new value (a stochastic
  /// median estimate), so a drifting voice is followed over minutes, not seconds.
  float adaptation_scale_per_window = 0.02f;
};

/// One speaker's baseline: median per feature, never updated on silence (too
/// little speech) nor, once established, on windows the caller marks agitated.
/// While it learns, the baseline is the call's first speech, taken as calm: an
/// "agitated" verdict then compares the speaker with the population prior, not
/// with themselves, so it is not allowed to lock them out of their own baseline.
class SpeakerBaseline {
 public:
  /// Throws std::invalid_argument naming a bad config field or a non-positive prior scale.
  SpeakerBaseline(const BaselineConfig& config, const BaselinePrior& prior);

  /// Offers a window. Returns true when it was learned from: it holds at least
  /// min_speech_s of speech and either the baseline is still learning or the
  /// window is not marked agitated. Real-time safe.
  bool update(const ProsodyVector& window, bool agitated) noexcept;

  /// Deviation of each feature from the baseline in units of its scale:
  /// (value - median) / scale; NaN where the window lacks the feature. Real-time safe.
  ProsodyVector deviation(const ProsodyVector& window) const noexcept;

  float median(Prosody p) const noexcept { return median_[static_cast<std::size_t>(p)]; }
  float scale(Prosody p) const noexcept { return prior_.scale[static_cast<std::size_t>(p)]; }
  /// True once learning_windows windows were learned from: the baseline is the speaker's.
  bool established() const noexcept { return windows_learned_ >= config_.learning_windows; }
  std::size_t windows_learned() const noexcept { return windows_learned_; }
  void reset() noexcept;

 private:
  static constexpr std::size_t kMaxLearningWindows = 64;
  void recompute_learning_median(std::size_t feature) noexcept;

  BaselineConfig config_;
  BaselinePrior prior_;
  std::array<float, kProsodyCount> median_{};
  std::size_t windows_learned_ = 0;
  // Learning phase: the values seen per feature (bounded).
  std::array<std::array<float, kMaxLearningWindows>, kProsodyCount> learned_{};
  std::array<std::size_t, kProsodyCount> learned_count_{};
};

}  // namespace tw::detect
