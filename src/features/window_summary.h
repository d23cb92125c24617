#pragma once
// Per-speaker prosody over a sliding window, emitted once a second.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "features/hop_features.h"

namespace tw::features {

inline constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

struct WindowSummary {
  std::int64_t end_hop = 0;   ///< the window covers hops (end_hop - hops, end_hop]
  double end_time_s = 0.0;    ///< end of the window (from sample counts)
  float window_s = 0.0f;
  float speech_s = 0.0f;      ///< voice-active time
  /// Voice-active time among the hops added since the previous summary (the last
  /// period): speech this window brings that no earlier window held. Summed over
  /// summaries it counts every second of speech once.
  float new_speech_s = 0.0f;
  /// Syllable nuclei among the hops added since the previous summary: with
  /// new_speech_s, a speaker's pace over any stretch of their own speech.
  std::int32_t new_syllables = 0;
  float voiced_s = 0.0f;      ///< voiced time among the active hops
  /// Silent time inside the window's speech span (between its first and last
  /// active hop): the pauses a speaker leaves while holding the floor.
  float pause_s = 0.0f;
  float voiced_fraction = kMissing;  ///< voiced share of the active hops
  std::int32_t syllables = 0;
  /// Syllables per second of speech (articulation rate); missing with < 0.5 s of speech.
  float speaking_rate_syl_per_s = kMissing;
  float f0_median_hz = kMissing;
  float f0_median_st = kMissing;     ///< semitones re 27.5 Hz
  float f0_range_st = kMissing;      ///< 10th to 90th percentile
  float loudness_median_db = kMissing;  ///< median over voiced hops (over active hops when fewer than min_voiced_hops)
  float loudness_range_db = kMissing;  ///< 10th to 90th percentile of active hops
  float level_median_dbfs = kMissing;
  float alpha_ratio_db = kMissing;   ///< median over voiced hops
  float centroid_hz = kMissing;      ///< median over active hops
  float hnr_db = kMissing;           ///< median over voiced hops
};

struct SummaryConfig {
  std::size_t window_hops = 300;  ///< 3 s
  std::size_t period_hops = 100;  ///< one summary per second
  std::size_t min_voiced_hops = 10;  ///< fewer and the pitch fields stay missing
};

/// Keeps the last window of hops and summarizes it every period.
class WindowSummarizer {
 public:
  /// Throws std::invalid_argument if a size is 0 or the period exceeds the window.
  explicit WindowSummarizer(const SummaryConfig& config = {});
  /// Adds a hop; returns true when a new summary is ready in summary().
  /// Real-time safe: buffers are sized at construction.
  bool push(const HopFeatures& hop) noexcept;
  /// `hops` hops that were skipped as silence (a gap in the stream): they enter the
  /// window as silent hops (at most a window's worth is written) and the summaries
  /// due inside them are not made. Constant time. Real-time safe.
  void skip(std::int64_t hops) noexcept;
  const WindowSummary& summary() const noexcept { return summary_; }
  const SummaryConfig& config() const noexcept { return config_; }
  void reset() noexcept;

 private:
  struct Slot {
    float f0_hz, f0_st, loudness_db, level_dbfs, alpha_ratio_db, centroid_hz, hnr_db;
    bool vad, voiced, syllable;
  };
  void summarize(std::int64_t end_hop) noexcept;

  SummaryConfig config_;
  std::vector<Slot> ring_;
  std::size_t count_ = 0;      // hops pushed so far (saturates at ring size for indexing)
  std::size_t next_ = 0;
  std::int64_t hops_total_ = 0;
  std::vector<float> scratch_;  // one statistic at a time, sized at construction
  WindowSummary summary_;
};

/// q-quantile (0..1) of values[0..n) by partial sort; reorders values. Real-time safe.
float quantile_in_place(float* values, std::size_t n, float q) noexcept;

struct Spread {
  float p10 = kMissing, median = kMissing, p90 = kMissing;
};
/// 10th, 50th and 90th percentiles (as quantile_in_place) with one full and two
/// half-size searches; reorders values. Real-time safe.
Spread spread_in_place(float* values, std::size_t n) noexcept;

}  // namespace tw::features
