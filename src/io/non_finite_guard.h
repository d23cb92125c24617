#pragma once
// NaN and infinite samples: counted, silenced, and remembered by time, at the source.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace tw::io {

/// A run of consecutive frames holding a non-finite sample in one channel.
struct NonFiniteSpan {
  std::int64_t first_frame = 0;  ///< first frame of the run, counted from the start of the stream
  std::int64_t end_frame = 0;    ///< one past the last frame of the run
};

/// One NaN in a float recording would spread through every filter, FFT and
/// median it reaches (a single NaN changed ~6 s of window features and the
/// whole-call totals): a source runs its samples through this guard before
/// anyone sees them. Each non-finite sample (NaN, +-infinity) becomes 0
/// (silence) and is counted per channel; the first kMaxSpans runs per channel
/// are kept with their frame positions for the report.
/// One instance per stream, one thread.
class NonFiniteGuard {
 public:
  static constexpr std::size_t kMaxSpans = 8;

  /// Allocates for `channels` (>= 1) channels. Throws std::invalid_argument otherwise.
  explicit NonFiniteGuard(int channels);

  /// Silences and counts the non-finite samples of a block of whole interleaved
  /// frames, which follows the previous block in the stream. Real-time safe: no
  /// allocation, no locks, never throws.
  void process(std::span<float> interleaved) noexcept;

  int channels() const noexcept { return static_cast<int>(channels_.size()); }
  /// Frames seen so far.
  std::int64_t frames() const noexcept { return frames_; }
  /// Non-finite samples replaced in `channel` so far.
  std::int64_t count(int channel) const noexcept { return channels_[static_cast<std::size_t>(channel)].count; }
  /// Sum of count() over the channels.
  std::int64_t total() const noexcept;
  /// Runs of non-finite frames in `channel` (at most kMaxSpans, the first ones).
  std::span<const NonFiniteSpan> spans(int channel) const noexcept;
  /// How many runs there were in `channel`, including those not kept.
  std::int64_t span_count(int channel) const noexcept {
    return channels_[static_cast<std::size_t>(channel)].span_count;
  }
  /// True when every frame seen so far (at least one) was non-finite in `channel`.
  bool all_non_finite(int channel) const noexcept { return frames_ > 0 && count(channel) == frames_; }

  /// Back to a fresh guard; keeps its storage.
  void reset() noexcept;

 private:
  struct Channel {
    std::int64_t count = 0;
    std::int64_t span_count = 0;
    std::size_t kept = 0;
    std::array<NonFiniteSpan, kMaxSpans> spans{};
    std::int64_t open_end = -1;  // end_frame of the latest run, to extend it across blocks
  };
  std::vector<Channel> channels_;
  std::int64_t frames_ = 0;
};

}  // namespace tw::io
