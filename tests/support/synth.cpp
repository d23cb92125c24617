#include "support/synth.h"

#include "dsp/butterworth_band_pass.h"

#include <cmath>
#include <numbers>
#include <random>

namespace tw::test {
namespace {
constexpr double kTwoPi = 2.0 * std::numbers::pi;

}  // namespace

std::vector<float> sine(double frequency_hz, double amplitude, double seconds, int rate_hz, double phase) {
  const auto n = static_cast<std::size_t>(seconds * rate_hz);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(kTwoPi * frequency_hz * static_cast<double>(i) / rate_hz + phase));
  }
  return x;
}

std::vector<float> harmonic_complex(double f0_hz, double level, double seconds, int rate_hz, double vibrato_st,
                                    double vibrato_hz, std::vector<double>* true_f0) {
  const auto n = static_cast<std::size_t>(seconds * rate_hz);
  std::vector<float> x(n);
  if (true_f0 != nullptr) true_f0->assign(n, 0.0);
  double phase = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const double f = f0_hz * std::exp2(vibrato_st * std::sin(kTwoPi * vibrato_hz * t) / 12.0);
    if (true_f0 != nullptr) (*true_f0)[i] = f;
    double v = 0.0;
    for (int k = 1; k * f < rate_hz / 2.0 - 100.0; ++k) v += std::sin(k * phase) / k;
    x[i] = static_cast<float>(v);
    phase += kTwoPi * f / rate_hz;
    if (phase > kTwoPi * 1000.0) phase -= kTwoPi * 1000.0;
  }
  set_level_dbfs(x, level);
  return x;
}

std::vector<float> tilted_harmonic_complex(double f0_hz, double tilt_db_per_octave, double level, double seconds,
                                           int rate_hz, double vibrato_st, double vibrato_hz) {
  const auto n = static_cast<std::size_t>(seconds * rate_hz);
  std::vector<float> x(n);
  const double exponent = tilt_db_per_octave / (20.0 * std::log10(2.0));
  double phase = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const double f = f0_hz * std::exp2(vibrato_st * std::sin(kTwoPi * vibrato_hz * t) / 12.0);
    double v = 0.0;
    for (int k = 1; k * f < rate_hz / 2.0 - 100.0; ++k) v += std::pow(k, exponent) * std::cos(k * phase);
    x[i] = static_cast<float>(v);
    phase += kTwoPi * f / rate_hz;
    if (phase > kTwoPi * 1000.0) phase -= kTwoPi * 1000.0;
  }
  set_level_dbfs(x, level);
  return x;
}

void formant(std::vector<float>& x, double frequency_hz, double bandwidth_hz, int rate_hz) {
  // Klatt's digital resonator: y[n] = A x[n] + B y[n-1] + C y[n-2] with
  // C = -exp(-2 pi bw T), B = 2 exp(-pi bw T) cos(2 pi f T), A = 1 - B - C.
  const double t = 1.0 / rate_hz;
  const double c = -std::exp(-kTwoPi * bandwidth_hz * t);
  const double b = 2.0 * std::exp(-std::numbers::pi * bandwidth_hz * t) * std::cos(kTwoPi * frequency_hz * t);
  const double a = 1.0 - b - c;
  double y1 = 0.0, y2 = 0.0;
  for (float& v : x) {
    const double y = a * v + b * y1 + c * y2;
    y2 = y1;
    y1 = y;
    v = static_cast<float>(y);
  }
}

void band_pass(std::vector<float>& x, double low_hz, double high_hz, int rate_hz) {
  dsp::ButterworthBandPass filter(rate_hz, low_hz, high_hz);
  filter.process(x);
}

double level_dbfs(const std::vector<float>& x) {
  double sum = 0.0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return 10.0 * std::log10(2.0 * sum / static_cast<double>(x.size()) + 1e-30);
}

void set_level_dbfs(std::vector<float>& x, double level) {
  const double gain = std::pow(10.0, (level - level_dbfs(x)) / 20.0);
  for (float& v : x) v = static_cast<float>(v * gain);
}

void add_white_noise(std::vector<float>& x, double snr_db, std::uint32_t seed) {
  const double signal_ms = std::pow(10.0, level_dbfs(x) / 10.0) / 2.0;
  const double noise_rms = std::sqrt(signal_ms / std::pow(10.0, snr_db / 10.0));
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise_rms);
  for (float& v : x) v = static_cast<float>(v + gauss(rng));
}

}  // namespace tw::test
