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
            roles_.empty() ? throw std::invalid_argument("LegInput: a track has at least one channel") : roles_.size()),
      produce_scratch_(kScratchFrames * roles_.size()),
      consume_scratch_(kScratchFrames * roles_.size()) {}

void LegInput::write(std::span<const float> interleaved) noexcept {
  const std::size_t channels = roles_.size();
  const std::size_t piece = kScratchFrames * channels;
  std::uint64_t written = 0;
  for (std::size_t at = 0; at + channels <= interleaved.size(); at += piece) {
    const std::size_t n = std::min(piece, interleaved.size() - at) / channels * channels;
    // Network audio is 16-bit, so this is exact.
    for (std::size_t i = 0; i < n; ++i) produce_scratch_[i] = dsp::to_pcm16(interleaved[at + i]);
    written += ring_.write(std::span<const std::int16_t>(produce_scratch_.data(), n));
  }
  frames_written_.fetch_add(written, std::memory_order_relaxed);
  last_write_ns_.store(steady_now_ns(), std::memory_order_release);
  signal();  // after the frames are in the ring: the worker that sees the flag sees them
}

std::size_t LegInput::read(std::span<float> out) noexcept {
  const std::size_t channels = roles_.size();
  const std::size_t want = std::min(out.size() / channels, kScratchFrames);
  const std::size_t frames = ring_.read(std::span<std::int16_t>(consume_scratch_.data(), want * channels));
  for (std::size_t i = 0; i < frames * channels; ++i) out[i] = dsp::from_pcm16(consume_scratch_[i]);
  return frames;
}

}  // namespace tw::server
