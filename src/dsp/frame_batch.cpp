#include "dsp/frame_batch.h"

#include <algorithm>
#include <cassert>

namespace tw::dsp {

FrameBatch& FrameBatch::this_thread(std::size_t frame_samples) noexcept {
  thread_local FrameBatch batch;
  if (batch.frame_samples_ < frame_samples) {
    // noexcept: an allocation failure here ends the process, as in ThreadScratch.
    batch.frame_samples_ = frame_samples;
    batch.bins_ = frame_samples / 2 + 1;
    batch.samples_.assign(kCapacity * frame_samples, 0.0f);
    batch.power_.assign(kCapacity * batch.bins_, 0.0f);
    batch.clear();
  }
  return batch;
}

void FrameBatch::add(int stream, std::span<const float> frame, std::int64_t hop_index) noexcept {
  assert(size_ < kCapacity && frame.size() == frame_samples_);
  float* copy = samples_.data() + size_ * frame_samples_;
  std::copy(frame.begin(), frame.end(), copy);
  AnalysisFrame& f = frames_[size_];
  f.hop_index = hop_index;
  f.samples = std::span<const float>(copy, frame.size());
  f.power = std::span<const float>(power_.data() + size_ * bins_, bins_);
  streams_[size_] = stream;
  ++size_;
}

void FrameBatch::analyze(const SpectrumAnalyzer& analyzer, std::size_t hop_samples) noexcept {
  assert(analyzer.frame_samples() == frame_samples_);
  constexpr std::size_t kLanes = RealFft4::kLanes;
  while (analysed_ < size_) {
    const std::size_t lanes = std::min(kLanes, size_ - analysed_);
    const float* frames[kLanes];
    float* powers[kLanes];
    for (std::size_t j = 0; j < lanes; ++j) {
      AnalysisFrame& f = frames_[analysed_ + j];
      f.centre_time_s = static_cast<double>(f.hop_index * static_cast<std::int64_t>(hop_samples)) /
                        analyzer.sample_rate_hz();
      frames[j] = f.samples.data();
      powers[j] = power_.data() + (analysed_ + j) * bins_;
    }
    analyzer.power_spectra(std::span<const float* const>(frames, lanes), std::span<float* const>(powers, lanes));
    analysed_ += lanes;
  }
}

}  // namespace tw::dsp
