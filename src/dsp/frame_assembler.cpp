#include "dsp/frame_assembler.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tw::dsp {

FrameAssembler::FrameAssembler(std::size_t frame_samples, std::size_t hop_samples)
    : frame_samples_(frame_samples),
      hop_samples_(hop_samples),
      buffer_(frame_samples + kSpareHops * hop_samples, 0.0f),
      write_(frame_samples - hop_samples) {
  if (hop_samples == 0) throw std::invalid_argument("FrameAssembler: hop_samples must be > 0");
  if (hop_samples > frame_samples) {
    throw std::invalid_argument("FrameAssembler: hop_samples (" + std::to_string(hop_samples) +
                                ") must not exceed frame_samples (" + std::to_string(frame_samples) + ")");
  }
  if (frame_samples / 2 < hop_samples || (frame_samples / 2) % hop_samples != 0) {
    throw std::invalid_argument("FrameAssembler: half the frame (" + std::to_string(frame_samples / 2) +
                                " samples) must be a whole, non-zero number of hops (" + std::to_string(hop_samples) +
                                ")");
  }
  // Frame k ends at sample (k + 1) * hop; it is centred on sample 0 when
  // (k + 1) * hop = frame / 2.
  leading_hops_ = static_cast<std::int64_t>(frame_samples / 2 / hop_samples) - 1;
}

void FrameAssembler::skip_hops(std::int64_t hops) noexcept {
  if (hops <= 0 || filled_ != 0) return;
  std::fill(buffer_.begin(), buffer_.end(), 0.0f);
  write_ = frame_samples_ - hop_samples_;
  hops_pushed_ += hops;
  samples_consumed_ += hops * static_cast<std::int64_t>(hop_samples_);
}

void FrameAssembler::reset() noexcept {
  std::fill(buffer_.begin(), buffer_.end(), 0.0f);
  write_ = frame_samples_ - hop_samples_;
  filled_ = 0;
  hops_pushed_ = 0;
  samples_consumed_ = 0;
}

}  // namespace tw::dsp
