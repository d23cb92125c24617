#pragma once
// Streaming sample-rate conversion on libsoxr (a real band-limited resampler;
// never decimation by dropping samples).

#include <cstddef>
#include <span>
#include <vector>

struct soxr;

namespace tw::dsp {

/// Converts interleaved float audio from one rate to another, block by block.
/// Equal rates pass through untouched.
class Resampler {
 public:
  /// Throws std::invalid_argument for non-positive rates or zero channels, and
  /// std::runtime_error if libsoxr refuses the conversion.
  Resampler(double input_rate_hz, double output_rate_hz, unsigned channels);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  Resampler(Resampler&& other) noexcept;
  /// Takes over `other`'s converter (a live track re-joining at another rate).
  Resampler& operator=(Resampler&& other) noexcept;

  unsigned channels() const noexcept { return channels_; }
  bool is_passthrough() const noexcept { return handle_ == nullptr; }

  /// Feeds interleaved input; calls on_output(std::span<const float> interleaved)
  /// zero or more times with converted audio.
  template <class OnOutput>
  void process(std::span<const float> input, OnOutput&& on_output) {
    if (input.empty()) return;  // soxr reads a null input as end of stream
    if (is_passthrough()) {
      on_output(input);
      return;
    }
    std::size_t consumed = 0;
    do {
      const std::size_t produced = step(input.subspan(consumed), consumed);
      if (produced > 0) on_output(std::span<const float>(output_.data(), produced * channels_));
    } while (consumed < input.size() / channels_ * channels_);
  }

  /// Drains the converter's delay line at end of stream.
  template <class OnOutput>
  void flush(OnOutput&& on_output) {
    if (is_passthrough()) return;
    for (;;) {
      const std::size_t produced = drain_step();
      if (produced == 0) break;
      on_output(std::span<const float>(output_.data(), produced * channels_));
    }
  }

 private:
  // One soxr_process call; advances `consumed` (in samples); returns output frames.
  std::size_t step(std::span<const float> input, std::size_t& consumed);
  std::size_t drain_step();

  unsigned channels_;
  soxr* handle_ = nullptr;
  std::vector<float> output_;
};

}  // namespace tw::dsp
