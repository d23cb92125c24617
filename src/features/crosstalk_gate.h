#pragma once
// The other side's voice leaking into a channel (crosstalk, line echo) is not
// speech on that channel.

#include <array>
#include <cstddef>
#include <cstdint>

#include "features/hop_features.h"

namespace tw::features {

struct CrosstalkConfig {
  /// Leakage lies at least this far below the other channel's voice band level.
  /// Electrical crosstalk and hybrid echo come back 20-30 dB down (ITU-T G.168
  /// assumes an echo return loss of at least 6 dB and typical hybrids give 10-30);
  /// two people talking at once on separate lines differ by the spread of talker
  /// levels (a few dB each) plus any AGC (+-6 dB): well inside 15 dB.
  float coupling_margin_db = 15.0f;
  /// Echo returns late: the other channel is compared over this tail of delays
  /// (ITU-T G.168 echo cancellers cover tails of 64 to 128 ms).
  float echo_tail_s = 0.128f;
  /// Leakage follows the other side's loudness contour: over this span the
  /// channel's voice-band level (dB) must correlate with the other's, at some
  /// delay within the tail, at least min_envelope_correlation. Half a second
  /// holds two or three syllables; two independent talkers' contours correlate
  /// around 0 (+-0.25 over that span); a copy near 1, down to about 0.7 where the
  /// leak sinks into the line noise between syllables.
  float envelope_window_s = 0.5f;
  float min_envelope_correlation = 0.7f;
};

/// Cross-channel voice activity check for a two-channel call, hop by hop: a hop
/// voice-active on one side while the other side speaks, far quieter than the
/// other side and following its loudness contour, is the other side's voice
/// leaking in, not speech on this side. One instance per call, one thread.
/// Allocation-free; every decision uses only hops up to the current one, so it
/// is the same whatever the block sizes.
class CrosstalkGate {
 public:
  /// Throws std::invalid_argument naming the bad field.
  explicit CrosstalkGate(const CrosstalkConfig& config = {});
  /// Both channels' features of the same hop; clears `vad` on a leaking side.
  /// Real-time safe. Returns which sides were cleared (bit 0 first, bit 1 second).
  unsigned process(HopFeatures& first, HopFeatures& second) noexcept;
  void reset() noexcept;
  /// Hops cleared on each side so far.
  std::int64_t cleared(std::size_t side) const noexcept { return cleared_[side]; }

 private:
  static constexpr std::size_t kHistory = 128;  // hops of band level kept per side
  struct Side {
    std::array<float, kHistory> level_db{};
    std::int64_t last_active = -1000;  // hop it last spoke (as speech, not leakage)
  };
  float level(const Side& side, std::int64_t hops_ago) const noexcept;
  float tail_max(const Side& side) const noexcept;
  /// Highest correlation of `own`'s contour with `other`'s at a delay within the tail.
  float envelope_match(const Side& own, const Side& other) const noexcept;

  CrosstalkConfig config_;
  std::int64_t tail_hops_, window_hops_;
  std::array<Side, 2> sides_{};
  std::int64_t hop_ = 0;
  std::array<std::int64_t, 2> cleared_{};
};

}  // namespace tw::features
