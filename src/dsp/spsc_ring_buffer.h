#pragma once
// Lock-free single-producer single-consumer ring of samples: the hand-off between
// a real-time audio callback and the analysis thread (the PortAudio pa_ringbuffer shape).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>

namespace tw::dsp {

/// Fixed-capacity SPSC ring buffer. One thread writes, one thread reads.
/// write() and read() are wait-free, allocation-free and never throw.
template <class T>
class SpscRingBuffer {
 public:
  /// Allocates `capacity` slots, rounded up to a power of two. Throws on 0.
  explicit SpscRingBuffer(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("SpscRingBuffer: capacity must be > 0");
    std::size_t size = 1;
    while (size < capacity) size <<= 1;
    mask_ = size - 1;
    data_ = std::make_unique<T[]>(size);
  }
  SpscRingBuffer(const SpscRingBuffer&) = delete;
  SpscRingBuffer& operator=(const SpscRingBuffer&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  /// Producer: copies as many items as fit; returns how many were written.
  /// Real-time safe. The caller counts the shortfall as an overflow.
  std::size_t write(std::span<const T> items) noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t tail = tail_.load(std::memory_order_acquire);
    const std::size_t free_slots = capacity() - (head - tail);
    const std::size_t n = items.size() < free_slots ? items.size() : free_slots;
    // In at most two contiguous pieces (the second after the wrap), which the
    // compiler turns into block copies; a masked index per item does not.
    const std::size_t at = head & mask_;
    const std::size_t first = n < capacity() - at ? n : capacity() - at;
    std::copy_n(items.data(), first, data_.get() + at);
    std::copy_n(items.data() + first, n - first, data_.get());
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  /// Consumer: copies up to out.size() items; returns how many were read.
  std::size_t read(std::span<T> out) noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t head = head_.load(std::memory_order_acquire);
    const std::size_t available = head - tail;
    const std::size_t n = out.size() < available ? out.size() : available;
    const std::size_t at = tail & mask_;
    const std::size_t first = n < capacity() - at ? n : capacity() - at;
    std::copy_n(data_.get() + at, first, out.data());
    std::copy_n(data_.get(), n - first, out.data() + first);
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  /// Items waiting to be read (a snapshot; exact only on the consumer thread).
  std::size_t available() const noexcept {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t mask_ = 0;
  // Producer and consumer indices on their own cache lines to avoid false sharing.
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

/// Interleaved audio frames over an SpscRingBuffer<Sample>: a write or a read moves
/// whole frames only, so a stereo frame is never split between the caller's and the
/// agent's channel, and every frame that does not fit is counted, never silently lost.
/// The producer is a real-time callback or a network reader; the consumer the analysis
/// thread. Sample is float, or std::int16_t for 16-bit network audio at half the memory.
template <class Sample = float>
class SpscFrameRing {
 public:
  /// Room for at least `capacity_frames` frames of `channels` samples. Throws on 0.
  SpscFrameRing(std::size_t capacity_frames, std::size_t channels)
      : channels_(channels == 0 ? throw std::invalid_argument("SpscFrameRing: channels must be > 0") : channels),
        ring_(capacity_frames * channels) {}

  std::size_t channels() const noexcept { return channels_; }
  std::size_t capacity_frames() const noexcept { return ring_.capacity() / channels_; }

  /// Producer: writes the whole frames of `interleaved` that fit (a trailing partial
  /// frame is a caller bug and is ignored); the rest are counted as overflowed.
  /// Returns the frames written. Real-time safe: no allocation, no lock, never throws.
  std::size_t write(std::span<const Sample> interleaved) noexcept {
    const std::size_t frames = interleaved.size() / channels_;
    const std::size_t room = (ring_.capacity() - ring_.available()) / channels_;
    const std::size_t n = frames < room ? frames : room;
    ring_.write(interleaved.first(n * channels_));
    if (n < frames) overflowed_frames_.fetch_add(frames - n, std::memory_order_relaxed);
    return n;
  }

  /// Consumer: reads up to out.size() / channels whole frames; returns the frames read.
  std::size_t read(std::span<Sample> out) noexcept {
    const std::size_t want = out.size() / channels_;
    const std::size_t have = ring_.available() / channels_;
    const std::size_t n = want < have ? want : have;
    return ring_.read(out.first(n * channels_)) / channels_;
  }

  /// Producer: counts frames it could not offer to the ring at all as overflowed.
  void count_overflow(std::size_t frames) noexcept { overflowed_frames_.fetch_add(frames, std::memory_order_relaxed); }

  /// Frames waiting to be read (a snapshot).
  std::size_t available_frames() const noexcept { return ring_.available() / channels_; }
  /// Frames the producer could not write since construction.
  std::uint64_t overflowed_frames() const noexcept { return overflowed_frames_.load(std::memory_order_relaxed); }

 private:
  std::size_t channels_;
  SpscRingBuffer<Sample> ring_;
  std::atomic<std::uint64_t> overflowed_frames_{0};
};

}  // namespace tw::dsp
