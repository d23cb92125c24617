#pragma once
// Interleaved samples already in memory, as an AudioSource (a NumPy array).

#include <algorithm>
#include <span>
#include <string>

#include "io/audio_source.h"

namespace tw::python {

class MemorySource final : public io::AudioSource {
 public:
  MemorySource(std::span<const float> interleaved, int sample_rate_hz, int channels, std::string description)
      : samples_(interleaved), name_("<memory>") {
    format_.sample_rate_hz = sample_rate_hz;
    format_.channels = channels;
    format_.frames = static_cast<std::int64_t>(interleaved.size()) / channels;
    format_.description = std::move(description);
  }
  const io::AudioFormat& format() const noexcept override { return format_; }
  std::size_t read(std::span<float> interleaved) override {
    const auto channels = static_cast<std::size_t>(format_.channels);
    const std::size_t frames = std::min(interleaved.size() / channels, (samples_.size() - offset_) / channels);
    std::copy_n(samples_.begin() + static_cast<std::ptrdiff_t>(offset_), frames * channels, interleaved.begin());
    offset_ += frames * channels;
    return frames;
  }
  const std::string& name() const noexcept override { return name_; }

 private:
  std::span<const float> samples_;
  std::size_t offset_ = 0;
  io::AudioFormat format_;
  std::string name_;
};

}  // namespace tw::python
