#include "features/loudness_meter.h"

#include <cmath>
#include <complex>
#include <numbers>

#include "features/spectral_weights.h"

namespace tw::features {
namespace {

// Biquad |H(e^jw)|^2 for the BS.1770-4 filters, which the standard specifies at 48 kHz.
double biquad_power(const double b[3], const double a[3], double frequency_hz) {
  const double w = 2.0 * std::numbers::pi * frequency_hz / 48000.0;
  const std::complex<double> z1 = std::polar(1.0, -w);
  const std::complex<double> z2 = z1 * z1;
  const std::complex<double> h = (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2);
  return std::norm(h);
}

double k_weighting_raw(double frequency_hz) {
  // ITU-R BS.1770-4, Table 1 (pre-filter, high shelf) and Table 2 (RLB high-pass).
  static constexpr double kShelfB[3] = {1.53512485958697, -2.69169618940638, 1.19839281085285};
  static constexpr double kShelfA[3] = {1.0, -1.69065929318241, 0.73248077421585};
  static constexpr double kRlbB[3] = {1.0, -2.0, 1.0};
  static constexpr double kRlbA[3] = {1.0, -1.99004745483398, 0.99007225036621};
  return biquad_power(kShelfB, kShelfA, frequency_hz) * biquad_power(kRlbB, kRlbA, frequency_hz);
}

}  // namespace

double LoudnessMeter::k_weighting_power_gain(double frequency_hz) {
  return k_weighting_raw(frequency_hz) / k_weighting_raw(1000.0);
}

LoudnessMeter::LoudnessMeter(const dsp::SpectrumAnalyzer& analyzer) {
  std::vector<float> level = mean_square_factors(analyzer);
  std::vector<float> loudness(level.size());
  // x2: dB re a full-scale sine, whose mean square is 1/2 (AES17).
  for (std::size_t k = 0; k < level.size(); ++k) {
    level[k] *= 2.0f;
    loudness[k] = level[k] * static_cast<float>(k_weighting_power_gain(k * analyzer.bin_hz()));
  }
  level_weights_ = dsp::SharedTable<float>(std::move(level));
  loudness_weights_ = dsp::SharedTable<float>(std::move(loudness));
}

LoudnessEstimate LoudnessMeter::process(const dsp::AnalysisFrame& frame) const noexcept {
  return {power_to_db(weighted_sum(level_weights_, frame.power)),
          power_to_db(weighted_sum(loudness_weights_, frame.power))};
}

}  // namespace tw::features
