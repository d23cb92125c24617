#include "io/capture_buffer.h"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tw::io {
namespace {

std::size_t capacity_frames(int sample_rate_hz, double capacity_s) {
  if (sample_rate_hz < 1 || sample_rate_hz > 384000) {
    throw std::invalid_argument("CaptureBuffer: sample rate must be 1-384000 Hz, got " + std::to_string(sample_rate_hz));
  }
  if (!(capacity_s > 0.0) || capacity_s > 600.0) {
    throw std::invalid_argument("CaptureBuffer: capacity must be in (0, 600] s, got " + std::to_string(capacity_s));
  }
  return static_cast<std::size_t>(std::ceil(capacity_s * sample_rate_hz));
}

}  // namespace

CaptureBuffer::CaptureBuffer(int sample_rate_hz, std::size_t channels, double capacity_s)
    : sample_rate_hz_(sample_rate_hz), ring_(capacity_frames(sample_rate_hz, capacity_s), channels) {}

void CaptureBuffer::write(std::span<const float> interleaved) noexcept {
  const std::size_t frames = interleaved.size() / ring_.channels();
  ring_.write(interleaved);
  // steady_clock::now() is a vDSO clock_gettime: no lock, no allocation, no system call.
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  const std::uint64_t total = frames_delivered_.load(std::memory_order_relaxed) + frames;
  frames_delivered_.store(total, std::memory_order_relaxed);
  callbacks_.fetch_add(1, std::memory_order_relaxed);
  // Sequence lock (Boehm, "Can seqlocks get along with programming language memory
  // models?", MSPC 2012, figure 6): odd while writing, a release fence before the data.
  const std::uint32_t s = stamp_sequence_.load(std::memory_order_relaxed);
  stamp_sequence_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  stamp_ns_.store(now_ns, std::memory_order_relaxed);
  stamp_frames_.store(total, std::memory_order_relaxed);
  stamp_sequence_.store(s + 2, std::memory_order_release);
  last_write_ns_.store(now_ns, std::memory_order_release);
}

void CaptureBuffer::count_status(bool input_overflow, bool input_underflow) noexcept {
  if (input_overflow) input_overflows_.fetch_add(1, std::memory_order_relaxed);
  if (input_underflow) input_underflows_.fetch_add(1, std::memory_order_relaxed);
}

bool CaptureBuffer::clock_stamp(ClockStamp& stamp) const noexcept {
  // A writer holds the stamp for a few instructions per callback; a handful of
  // tries always finds it still, and a miss only delays one measurement.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint32_t before = stamp_sequence_.load(std::memory_order_acquire);
    if (before == 0) return false;  // nothing delivered yet
    if ((before & 1u) != 0) continue;
    const std::int64_t ns = stamp_ns_.load(std::memory_order_relaxed);
    const std::uint64_t frames = stamp_frames_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (stamp_sequence_.load(std::memory_order_relaxed) == before) {
      stamp = {ns, frames};
      return true;
    }
  }
  return false;
}

CaptureCounters CaptureBuffer::counters() const noexcept {
  CaptureCounters c;
  c.frames_delivered = frames_delivered_.load(std::memory_order_relaxed);
  c.callbacks = callbacks_.load(std::memory_order_relaxed);
  c.ring_overflow_frames = ring_.overflowed_frames();
  c.input_overflows = input_overflows_.load(std::memory_order_relaxed);
  c.input_underflows = input_underflows_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace tw::io
