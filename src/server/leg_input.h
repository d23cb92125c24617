#pragma once
// One track of a live call on its way from the connection's thread to the call's
// worker: a lock-free ring of whole 16-bit frames (every network format tonewatch
// takes — G.711, L16, AudioSocket slin — is 16-bit, so the ring is lossless at
// half the memory of floats), an end flag, and what the worker needs to measure
// how far analysis lags behind arrival.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/spsc_ring_buffer.h"
#include "dsp/thread_scratch.h"
#include "features/speaker_role.h"
#include "io/live_input.h"

namespace tw::server {

class LegInput final : public io::LiveInput {
 public:
  /// A track of `channels` channels at `sample_rate_hz`, buffering up to `ring_s` seconds.
  /// `ready`, if given (the call's flag, outliving the leg), is set after every write
  /// and at the end, so the worker pumps only calls that have something new.
  LegInput(int sample_rate_hz, std::vector<features::SpeakerRole> roles, double ring_s,
           std::atomic<bool>* ready = nullptr);
  LegInput(const LegInput&) = delete;
  LegInput& operator=(const LegInput&) = delete;

  int sample_rate_hz() const noexcept override { return sample_rate_hz_; }
  const std::vector<features::SpeakerRole>& roles() const noexcept { return roles_; }
  std::size_t channels() const noexcept override { return roles_.size(); }

  // ---- the connection's thread (producer) -------------------------------------
  /// Copies interleaved samples in [-1, 1] as 16-bit frames; what does not fit is
  /// counted as overflow. Real-time safe: no allocation, no lock.
  void write(std::span<const float> interleaved) noexcept;
  /// A stretch of the track's time without audio, after everything written so far:
  /// queued as its length (never as samples), so a pause of any length costs the
  /// same and never fills the ring. Real-time safe: no allocation, no lock.
  void gap(std::int64_t frames, dsp::GapKind kind) noexcept;
  /// No more audio will come. Everything written before is delivered.
  void end() noexcept {
    produced_.ended.store(true, std::memory_order_release);
    signal();
  }

  // ---- the worker (consumer) ---------------------------------------------------
  /// Reads up to out.size() / channels() frames, as floats, stopping short of the
  /// next gap; returns the frames read.
  std::size_t read(std::span<float> out) noexcept override;
  bool holds_pcm16() const noexcept override { return true; }
  std::size_t read_pcm16(std::span<std::int16_t> out) noexcept override;
  bool take_gap(dsp::StreamGap& gap) noexcept override;
  /// True once end() was called and every frame and gap has been read.
  bool drained() const noexcept override {
    return produced_.ended.load(std::memory_order_acquire) && ring_.available_frames() == 0 &&
           produced_.gap_head.load(std::memory_order_acquire) == consumed_.gap_tail.load(std::memory_order_acquire) &&
           !produced_.pending_gap;
  }
  bool ended() const noexcept { return produced_.ended.load(std::memory_order_acquire); }
  std::size_t available_frames() const noexcept { return ring_.available_frames(); }
  std::size_t capacity_frames() const noexcept { return ring_.capacity_frames(); }
  /// When the newest frame now in the ring was written (steady clock), or 0.
  std::int64_t last_write_ns() const noexcept { return produced_.last_write_ns.load(std::memory_order_acquire); }

  std::uint64_t frames_written() const noexcept { return produced_.frames_written.load(std::memory_order_relaxed); }
  std::uint64_t overflowed_frames() const noexcept { return ring_.overflowed_frames(); }
  /// Frames of time passed on as gaps, by kind (declared: paused or discarded; lost).
  std::uint64_t paused_frames() const noexcept { return produced_.paused_frames.load(std::memory_order_relaxed); }
  std::uint64_t lost_frames() const noexcept { return produced_.lost_frames.load(std::memory_order_relaxed); }

 private:
  void signal() noexcept {
    if (ready_ != nullptr) ready_->store(true, std::memory_order_release);
  }

  int sample_rate_hz_;
  std::atomic<bool>* ready_;
  std::vector<features::SpeakerRole> roles_;
  dsp::SpscFrameRing<std::int16_t> ring_;
  // Conversion buffers of the writing and the reading thread (dsp/thread_scratch.h):
  // a network thread and a worker each serve hundreds of legs, so one warm copy each.
  struct ProduceUse;
  struct ConsumeUse;
  using ProduceScratch = dsp::ThreadScratch<std::int16_t, ProduceUse>;
  using ConsumeScratch = dsp::ThreadScratch<std::int16_t, ConsumeUse>;
  // Gaps, in a small SPSC queue of their own: each is stamped with the count of
  // frames the ring had taken before it, and the consumer reads audio up to that
  // count, then the gap. A gap that finds the queue full waits in produced_.pending
  // (producer side) and is merged with the next one at the same place.
  struct GapRecord {
    std::uint64_t at_frame = 0;  // frames accepted into the ring before the gap
    std::int64_t frames = 0;
    dsp::GapKind kind = dsp::GapKind::lost;
  };
  static constexpr std::size_t kGapSlots = 64;
  bool publish_pending_gap() noexcept;
  std::array<GapRecord, kGapSlots> gaps_{};
  // What the connection's thread writes at every packet, on cache lines of its own,
  // apart from what the worker writes at every read (the SPSC rule: a line both sides
  // write moves between the cores at each write of either). The read-only fields
  // above (roles_, the ring's buffer) are shared freely.
  struct alignas(64) Produced {
    std::atomic<std::size_t> gap_head{0};  // gaps published
    GapRecord pending;                     // a gap waiting for room in the gap queue
    std::atomic<bool> pending_gap{false};
    std::atomic<bool> ended{false};
    std::uint64_t accepted_frames = 0;  // frames the ring took
    std::atomic<std::uint64_t> frames_written{0};
    std::atomic<std::int64_t> last_write_ns{0};
    std::atomic<std::uint64_t> paused_frames{0}, lost_frames{0};
  } produced_;
  struct alignas(64) Consumed {
    std::atomic<std::size_t> gap_tail{0};  // gaps taken
    std::uint64_t read_frames = 0;
  } consumed_;
};

/// Nanoseconds on the steady clock, for lag measurements.
inline std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace tw::server
