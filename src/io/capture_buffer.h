#pragma once
// The hand-off between a sound device's callback (or a file played at real-time
// pace in its place) and the analysis thread: a preallocated lock-free ring of
// whole float frames, what the producer saw (overflow and underflow flags from the
// host), an end flag, and stamps of the producer's clock for drift measurement.
// The producer side is what PortAudio's examples teach a callback to be: copy,
// count, return — no allocation, no lock, no I/O.

#include <atomic>
#include <cstdint>
#include <span>

#include "dsp/spsc_ring_buffer.h"
#include "io/live_input.h"

namespace tw::io {

/// What the producer of one capture saw. A snapshot; any thread.
struct CaptureCounters {
  std::uint64_t frames_delivered = 0;   ///< frames the producer handed over (written or not)
  std::uint64_t callbacks = 0;          ///< producer calls (device callbacks, simulated periods)
  std::uint64_t ring_overflow_frames = 0;  ///< frames lost because analysis fell behind (ring full)
  std::uint64_t input_overflows = 0;    ///< callbacks the host flagged: audio lost before it reached us
  std::uint64_t input_underflows = 0;   ///< callbacks the host flagged: audio padded with silence
};

class CaptureBuffer final : public LiveInput {
 public:
  /// Room for `capacity_s` seconds of `channels`-channel frames at `sample_rate_hz`.
  /// Throws std::invalid_argument for a rate outside 1-384000 Hz, no channels, or a
  /// capacity outside (0, 600] s.
  CaptureBuffer(int sample_rate_hz, std::size_t channels, double capacity_s);
  CaptureBuffer(const CaptureBuffer&) = delete;
  CaptureBuffer& operator=(const CaptureBuffer&) = delete;

  // ---- producer (the callback) -------------------------------------------------
  /// Copies the whole frames that fit, counts the rest as overflowed, and stamps the
  /// clock. Real-time safe: no allocation, no lock, never throws.
  void write(std::span<const float> interleaved) noexcept;
  /// Counts the host's status flags for one callback. Real-time safe.
  void count_status(bool input_overflow, bool input_underflow) noexcept;
  /// No more frames will come (the stream stopped, or the device went away).
  void end() noexcept { ended_.store(true, std::memory_order_release); }

  // ---- consumer (the analysis thread) ------------------------------------------
  int sample_rate_hz() const noexcept override { return sample_rate_hz_; }
  std::size_t channels() const noexcept override { return ring_.channels(); }
  std::size_t read(std::span<float> out) noexcept override { return ring_.read(out); }
  bool drained() const noexcept override {
    return ended_.load(std::memory_order_acquire) && ring_.available_frames() == 0;
  }
  bool clock_stamp(ClockStamp& stamp) const noexcept override;

  // ---- anyone --------------------------------------------------------------------
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }
  std::size_t available_frames() const noexcept { return ring_.available_frames(); }
  /// Steady-clock nanoseconds of the latest write, 0 before the first.
  std::int64_t last_write_ns() const noexcept { return last_write_ns_.load(std::memory_order_acquire); }
  CaptureCounters counters() const noexcept;

 private:
  int sample_rate_hz_;
  dsp::SpscFrameRing<float> ring_;
  std::atomic<bool> ended_{false};
  std::atomic<std::uint64_t> frames_delivered_{0}, callbacks_{0}, input_overflows_{0}, input_underflows_{0};
  std::atomic<std::int64_t> last_write_ns_{0};
  // The latest clock stamp, published under a sequence lock (odd while being
  // written) so a reader never pairs one callback's time with another's count.
  std::atomic<std::uint32_t> stamp_sequence_{0};
  std::atomic<std::int64_t> stamp_ns_{0};
  std::atomic<std::uint64_t> stamp_frames_{0};
};

}  // namespace tw::io
