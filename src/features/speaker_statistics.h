#pragma once
// Whole-call statistics of one speaker, in bounded memory (histograms).

#include <cstdint>
#include <vector>

#include "features/hop_features.h"
#include "features/window_summary.h"

namespace tw::features {

/// Fixed-bin histogram with quantiles; values outside the range land in the end bins.
class Histogram {
 public:
  Histogram(float low, float high, float bin_width);
  void add(float value) noexcept;
  /// Linear-within-bin quantile; kMissing when empty.
  float quantile(float q) const noexcept;
  std::int64_t count() const noexcept { return count_; }
  void reset() noexcept;

 private:
  float low_, bin_width_;
  std::vector<std::uint32_t> bins_;  // 2^32 hops = 1.36 years of one speaker: half the memory of 64-bit counts
  std::int64_t count_ = 0;
};

struct SpeakerTotals {
  double duration_s = 0.0;
  /// Time holding the floor: voice-active time with pauses up to
  /// kTurnPauseBridge_s inside a turn counted as talking.
  double talk_time_s = 0.0;
  double speech_time_s = 0.0;      ///< voice-active time
  double voiced_time_s = 0.0;
  std::int64_t syllables = 0;
  float articulation_rate_syl_per_s = kMissing;  ///< syllables per second of speech
  float f0_median_hz = kMissing;
  float f0_median_st = kMissing;
  float f0_range_st = kMissing;    ///< 10th-90th percentile
  float loudness_median_db = kMissing;
  float loudness_range_db = kMissing;
  float level_median_dbfs = kMissing;
};

/// Pauses up to this long inside a stretch of speech still count as talk time.
inline constexpr double kTurnPauseBridge_s = 0.5;

class SpeakerStatistics {
 public:
  SpeakerStatistics();
  /// Real-time safe.
  void add(const HopFeatures& hop) noexcept;
  SpeakerTotals totals() const noexcept;
  void reset() noexcept;

 private:
  std::int64_t hops_ = 0, active_ = 0, voiced_ = 0, syllables_ = 0, talk_hops_ = 0;
  std::int64_t last_active_hop_ = -1;
  Histogram f0_st_, loudness_db_, level_dbfs_;
};

}  // namespace tw::features
