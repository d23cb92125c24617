#include "server/leg_input.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/pcm16.h"

namespace tw::server {
namespace {
// Largest block converted at once on either side; longer blocks are done in pieces.
constexpr std::size_t kScratchFrames = 512;
}  // namespace

LegInput::LegInput(int sample_rate_hz, std::vector<features::SpeakerRole> roles, double ring_s,
                   std::atomic<bool>* ready)
    : sample_rate_hz_(sample_rate_hz),
      ready_(ready),
      roles_(std::move(roles)),
      ring_(static_cast<std::size_t>(std::ceil(std::max(ring_s, 0.1) * sample_rate_hz)),
            roles_.empty() ? throw std::invalid_argument("LegInput: a track has at least one channel") : roles_.size()) {
  // A leg is made on the connection's thread, which then writes it.
  ProduceScratch::reserve(kScratchFrames * roles_.size());
}

void LegInput::write(std::span<const float> interleaved) noexcept {
  const std::size_t channels = roles_.size();
  const std::size_t piece = kScratchFrames * channels;
  const std::span<std::int16_t> scratch = ProduceScratch::get(piece);
  std::uint64_t written = 0;
  for (std::size_t at = 0; at + channels <= interleaved.size(); at += piece) {
    const std::size_t n = std::min(piece, interleaved.size() - at) / channels * channels;
    // Network audio is 16-bit, so this is exact.
    for (std::size_t i = 0; i < n; ++i) scratch[i] = dsp::to_pcm16(interleaved[at + i]);
    if (produced_.pending_gap.load(std::memory_order_relaxed) && !publish_pending_gap()) {
      // A gap waits for room in the gap queue: audio after it cannot go before it.
      // (Never seen: the queue holds 64 gaps and the worker empties it every 5 ms.)
      ring_.count_overflow(n / channels);
      continue;
    }
    const std::size_t accepted = ring_.write(std::span<const std::int16_t>(scratch.data(), n));
    produced_.accepted_frames += accepted;
    written += accepted;
  }
  // One writer: a plain add, not a locked read-modify-write (readers load it relaxed).
  produced_.frames_written.store(produced_.frames_written.load(std::memory_order_relaxed) + written,
                                 std::memory_order_relaxed);
  produced_.last_write_ns.store(steady_now_ns(), std::memory_order_release);
  signal();  // after the frames are in the ring: the worker that sees the flag sees them
}

bool LegInput::publish_pending_gap() noexcept {
  const std::size_t head = produced_.gap_head.load(std::memory_order_relaxed);
  if (head - consumed_.gap_tail.load(std::memory_order_acquire) >= kGapSlots) return false;
  gaps_[head % kGapSlots] = produced_.pending;
  produced_.gap_head.store(head + 1, std::memory_order_release);
  produced_.pending_gap.store(false, std::memory_order_release);
  return true;
}

void LegInput::gap(std::int64_t frames, dsp::GapKind kind) noexcept {
  if (frames <= 0) return;
  std::atomic<std::uint64_t>& kind_frames = dsp::declared(kind) ? produced_.paused_frames : produced_.lost_frames;
  kind_frames.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
  if (produced_.pending_gap.load(std::memory_order_relaxed)) {
    if (produced_.pending.at_frame == produced_.accepted_frames) {
      produced_.pending.frames += frames;  // contiguous with the waiting one: one gap
      if (dsp::declared(kind)) produced_.pending.kind = kind;
      publish_pending_gap();
      signal();
      return;
    }
    if (!publish_pending_gap()) return;  // cannot happen: audio between them could not be accepted
  }
  produced_.pending = GapRecord{produced_.accepted_frames, frames, kind};
  produced_.pending_gap.store(true, std::memory_order_release);
  publish_pending_gap();
  produced_.last_write_ns.store(steady_now_ns(), std::memory_order_release);
  signal();
}

bool LegInput::take_gap(dsp::StreamGap& gap) noexcept {
  const std::size_t tail = consumed_.gap_tail.load(std::memory_order_relaxed);
  if (tail == produced_.gap_head.load(std::memory_order_acquire)) return false;
  const GapRecord& g = gaps_[tail % kGapSlots];
  if (g.at_frame != consumed_.read_frames) return false;  // audio before it is still to be read
  gap = dsp::StreamGap{g.frames, g.kind};
  consumed_.gap_tail.store(tail + 1, std::memory_order_release);
  return true;
}

std::size_t LegInput::read_pcm16(std::span<std::int16_t> out) noexcept {
  const std::size_t channels = roles_.size();
  std::size_t want = out.size() / channels;
  // Stop at the next gap: it comes between the frames before and after it.
  const std::size_t tail = consumed_.gap_tail.load(std::memory_order_relaxed);
  if (tail != produced_.gap_head.load(std::memory_order_acquire)) {
    want = std::min<std::uint64_t>(want, gaps_[tail % kGapSlots].at_frame - consumed_.read_frames);
  }
  const std::size_t frames = ring_.read(out.first(want * channels));
  consumed_.read_frames += frames;
  return frames;
}

std::size_t LegInput::read(std::span<float> out) noexcept {
  const std::size_t channels = roles_.size();
  const std::size_t want = std::min(out.size() / channels, kScratchFrames);
  const std::span<std::int16_t> scratch = ConsumeScratch::get(kScratchFrames * channels);
  const std::size_t frames = read_pcm16(scratch.first(want * channels));
  for (std::size_t i = 0; i < frames * channels; ++i) out[i] = dsp::from_pcm16(scratch[i]);
  return frames;
}

}  // namespace tw::server
