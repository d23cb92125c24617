#include "dsp/halfband_decimator.h"

#include <algorithm>
#include <cmath>

namespace tw::dsp {

HalfbandDecimator::HalfbandDecimator(std::size_t max_input) : line_(kTaps - 1 + max_input, 0.0f) {
  // h[n] = 2 fc sinc(2 fc (n - M)) w[n], fc the cut-off over the input rate, M the centre;
  // normalised to a DC gain of exactly 1.
  constexpr double kPi = 3.14159265358979323846;
  constexpr double kCutoff = 4050.0 / 16000.0;
  const double centre = (kTaps - 1) / 2.0;
  double sum = 0.0;
  std::array<double, kTaps> h{};
  for (std::size_t n = 0; n < kTaps; ++n) {
    const double x = static_cast<double>(n) - centre;
    const double sinc = x == 0.0 ? 2.0 * kCutoff : std::sin(2.0 * kPi * kCutoff * x) / (kPi * x);
    const double phase = 2.0 * kPi * static_cast<double>(n) / (kTaps - 1);
    const double blackman = 0.42 - 0.5 * std::cos(phase) + 0.08 * std::cos(2.0 * phase);
    h[n] = sinc * blackman;
    sum += h[n];
  }
  for (std::size_t n = 0; n < kTaps; ++n) taps_[n] = static_cast<float>(h[n] / sum);
}

std::size_t HalfbandDecimator::process(std::span<const float> input, std::span<float> output) noexcept {
  const std::size_t n_in = std::min(input.size() & ~std::size_t{1}, line_.size() - (kTaps - 1));
  const std::size_t n_out = std::min(n_in / 2, output.size());
  std::copy(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n_in), line_.begin() + (kTaps - 1));
  for (std::size_t k = 0; k < n_out; ++k) {
    // Output k is the filter at input sample 2k + 1 (the newest of each pair).
    const float* x = line_.data() + 2 * k + 1;  // x[0 .. kTaps-1] ends at input 2k + 1
    float acc = 0.0f;
    for (std::size_t j = 0; j < kTaps; ++j) acc += taps_[j] * x[j];
    output[k] = acc;
  }
  // Keep the last kTaps - 1 inputs for the next block.
  std::copy(line_.begin() + static_cast<std::ptrdiff_t>(n_in), line_.begin() + static_cast<std::ptrdiff_t>(n_in + kTaps - 1),
            line_.begin());
  return n_out;
}

void HalfbandDecimator::reset() noexcept { std::fill(line_.begin(), line_.begin() + (kTaps - 1), 0.0f); }

}  // namespace tw::dsp
