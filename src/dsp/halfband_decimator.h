#pragma once
// 16 kHz to 8 kHz by two, in fixed blocks: exactly one output sample per two input
// samples from the first one on (no start-up latency in the count, as a streaming
// resampler has), so a stream's sample clock stays exact. For G.722 audio in a call
// whose other party is narrowband G.711: the call's tracks share one rate, and the
// wideband party is brought down to the telephone band the analysis reads there.
//
// A linear-phase FIR low-pass (windowed sinc, Blackman window, kTaps taps, cut-off at
// 4.05 kHz, midway between the band kept and the band that would alias) evaluated only at
// the kept samples. Its delay is
// (kTaps - 1) / 2 input samples (2.4 ms), the same for every frequency. Passband flat
// within 0.1 dB to 3.4 kHz; above 4.7 kHz attenuated by more than 60 dB (tested).
// No allocation after construction.

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace tw::dsp {

class HalfbandDecimator {
 public:
  static constexpr std::size_t kTaps = 79;

  /// `max_input`: the longest block process() will be given (input samples).
  explicit HalfbandDecimator(std::size_t max_input);

  /// Decimates `input` (an even number of samples, at most max_input) into `output`
  /// (input.size() / 2 samples); the filter's memory carries over between calls.
  /// Returns the samples written. Real-time safe.
  std::size_t process(std::span<const float> input, std::span<float> output) noexcept;

  /// Forgets the past (a new source). Real-time safe.
  void reset() noexcept;

 private:
  std::array<float, kTaps> taps_{};
  std::vector<float> line_;  // kTaps - 1 samples of history, then the block
};

}  // namespace tw::dsp
