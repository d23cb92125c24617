#pragma once
// Cuts an arbitrary-sized sample stream into overlapping fixed frames, one per hop.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace tw::dsp {

/// Sliding frame of `frame_samples` samples, emitted every `hop_samples`.
/// Frame n is centred on sample n * hop_samples (the stream is zero-padded on
/// the left), so it is emitted once sample n * hop_samples + frame_samples / 2
/// has arrived. Block boundaries never change the output.
class FrameAssembler {
 public:
  /// Allocates the frame history. Throws std::invalid_argument if hop is 0 or
  /// larger than the frame.
  FrameAssembler(std::size_t frame_samples, std::size_t hop_samples);

  std::size_t frame_samples() const noexcept { return frame_samples_; }
  std::size_t hop_samples() const noexcept { return hop_samples_; }
  /// Samples consumed since construction or reset().
  std::int64_t samples_consumed() const noexcept { return samples_consumed_; }

  /// Feeds a block; calls on_frame(std::span<const float> frame, std::int64_t hop_index)
  /// for every completed hop; frame hop_index is centred on sample
  /// hop_index * hop_samples(). The frame is a view of the history, valid only
  /// within that call (the history slides on every hop): copy what is kept.
  /// Real-time safe.
  template <class OnFrame>
  void push(std::span<const float> block, OnFrame&& on_frame) noexcept {
    const std::size_t frame = frame_samples_;
    while (!block.empty()) {
      const std::size_t want = hop_samples_ - filled_;
      const std::size_t n = block.size() < want ? block.size() : want;
      for (std::size_t i = 0; i < n; ++i) buffer_[write_ + filled_ + i] = block[i];
      filled_ += n;
      samples_consumed_ += static_cast<std::int64_t>(n);
      block = block.subspan(n);
      if (filled_ == hop_samples_) {
        const std::size_t end = write_ + hop_samples_;
        // The first frames would centre before the stream starts; they are not emitted.
        if (hops_pushed_ >= leading_hops_) {
          on_frame(std::span<const float>(buffer_.data() + end - frame, frame), hops_pushed_ - leading_hops_);
        }
        ++hops_pushed_;
        filled_ = 0;
        write_ = end;
        // The history slides back to the buffer's start once the next hop would
        // not fit (kSpareHops).
        if (write_ + hop_samples_ > buffer_.size()) {
          const std::size_t keep = frame - hop_samples_;
          std::memmove(buffer_.data(), buffer_.data() + write_ - keep, keep * sizeof(float));
          write_ = keep;
        }
      }
    }
  }

  /// Skips `hops` whole hops of silence without framing them: the frames centred in
  /// the stretch are never emitted, and the next frame's hop index is `hops` more
  /// than it would have been. Call at a hop boundary (no partial hop waiting), after
  /// at least a frame of silence, so that the history the next frames see is the
  /// silence it would have been. Constant time. Real-time safe.
  void skip_hops(std::int64_t hops) noexcept;
  /// Whether a partial hop is waiting (skip_hops needs none).
  bool at_hop_boundary() const noexcept { return filled_ == 0; }

  /// Forgets the stream: behaves like a fresh instance, keeps its buffer.
  void reset() noexcept;

 private:
  // Hops the buffer holds beyond one frame. None: the history slides back on every
  // hop (one memmove of a frame less a hop, within the frame's own cache lines). A
  // live server holds one buffer per speaker per call, cold again by the call's next
  // packet; a frame-sized buffer is touched whole by every hop, where spare hops made
  // each packet write into lines not touched for several hops: with four, a cache
  // simulation of 400 live calls missed the last level 9 % more often (see
  // docs/performance.md). The memmove costs fewer instructions than the element
  // loop did once every five hops.
  static constexpr std::size_t kSpareHops = 0;
  std::size_t frame_samples_;
  std::size_t hop_samples_;
  std::vector<float> buffer_;  // zero history, then the stream; frames are contiguous views
  std::size_t write_ = 0;      // where the hop being filled starts
  std::size_t filled_ = 0;
  std::int64_t hops_pushed_ = 0;
  std::int64_t leading_hops_ = 0;  // hops whose frame centre lies before sample 0
  std::int64_t samples_consumed_ = 0;
};

}  // namespace tw::dsp
