#pragma once
// Are a two-channel recording's channels the same signal? (A mixed mono call
// saved as stereo is common in call-center exports.)

#include <cmath>
#include <cstdint>
#include <span>

namespace tw::pipeline {

/// What the comparison found.
struct ChannelCheck {
  bool decided = false;
  /// The channels carry the same signal (or nearly): one mixed speaker.
  bool identical = false;
  /// Zero-lag correlation of the two channels over the decision span; NaN when
  /// a channel was digitally silent throughout.
  float correlation = NAN;
  float level_difference_db = NAN;  ///< first channel's power over the second's, dB
  double decided_at_s = 0.0;  ///< stream time of the decision
};

/// Correlates the two channels sample by sample over the first kDecisionS
/// seconds of the stream and decides once, at exactly that sample, so the
/// outcome does not depend on block sizes and a live stream knows within
/// seconds. Allocation-free.
class ChannelComparator {
 public:
  /// Decided after this much audio: 24,000 samples at 8 kHz estimate a
  /// correlation to well under 0.01 (the standard error of r is about 1/sqrt(n)
  /// for unrelated signals, and far smaller for nearly identical ones).
  static constexpr double kDecisionS = 3.0;
  /// Identical at or above this correlation: the shared part carries at least
  /// 81 % of the power (r squared). Two people on separate lines correlate near
  /// 0 even with crosstalk 20 dB down (a 1 % share); one mix copied twice, with
  /// re-encoding or a gain on one side, stays above 0.99.
  static constexpr double kIdenticalCorrelation = 0.9;
  /// ... and the two channels' powers lie within this of each other. While only
  /// one side talks, the other side's crosstalk or echo (20-30 dB down) is a
  /// scaled copy of it too, and correlates as well; a copy of the same mix is at
  /// the same level give or take a gain. The bound is the crosstalk gate's
  /// coupling margin (features::CrosstalkConfig): beyond it, leakage.
  static constexpr double kMaxLevelDifferenceDb = 15.0;

  /// The decision span in frames at `rate_hz`.
  explicit ChannelComparator(int rate_hz);
  /// Feeds the same frames of both channels (equal lengths). Real-time safe.
  void add(std::span<const float> first, std::span<const float> second) noexcept;
  const ChannelCheck& check() const noexcept { return check_; }
  /// The frame index at which the decision falls.
  std::int64_t decision_frame() const noexcept { return decision_frames_; }
  void reset() noexcept;

 private:
  std::int64_t decision_frames_;
  int rate_hz_;
  std::int64_t frames_ = 0;
  double sum_ab_ = 0.0, sum_aa_ = 0.0, sum_bb_ = 0.0;
  ChannelCheck check_;
};

}  // namespace tw::pipeline
