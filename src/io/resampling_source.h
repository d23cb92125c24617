#pragma once
// Presents any source at the analysis rate.

#include <memory>
#include <vector>

#include "dsp/resampler.h"
#include "io/audio_source.h"

namespace tw::io {

/// Wraps a source and converts it to `output_rate_hz` with libsoxr; sources
/// already at that rate pass through untouched.
class ResamplingSource final : public AudioSource {
 public:
  ResamplingSource(AudioSource& input, int output_rate_hz);
  const AudioFormat& format() const noexcept override { return format_; }
  std::size_t read(std::span<float> interleaved) override;
  const std::string& name() const noexcept override { return input_.name(); }

 private:
  AudioSource& input_;
  AudioFormat format_;
  dsp::Resampler resampler_;
  std::vector<float> input_block_;
  std::vector<float> pending_;      // converted samples not yet delivered
  std::size_t pending_offset_ = 0;
  bool input_done_ = false;
};

/// Reads a whole source into memory (interleaved). For tools and tests.
std::vector<float> read_all(AudioSource& source);

/// Reads a file, converts it to `rate_hz`, and returns channel `channel` (or the
/// mean of all channels when channel < 0). For tools and tests.
std::vector<float> load_channel(const std::string& path, int rate_hz, int channel = 0);

}  // namespace tw::io
