#include "dsp/butterworth_band_pass.h"

#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace tw::dsp {
namespace {

// Quality factors of the two second-order sections of a 4th-order Butterworth
// filter: Q_k = 1 / (2 cos((2k - 1) pi / 8)), k = 1, 2.
const double kButterworth4Q[2] = {1.0 / (2.0 * std::cos(std::numbers::pi / 8.0)),
                                  1.0 / (2.0 * std::cos(3.0 * std::numbers::pi / 8.0))};

// Bilinear-transform sections (R. Bristow-Johnson's Audio EQ Cookbook forms).
// Using w0 of the cutoff itself pre-warps the analog prototype at the cutoff,
// so the cascade is an exact digital Butterworth with -3 dB there.
Biquad low_pass(double cutoff_hz, double q, int rate_hz) {
  const double w0 = 2.0 * std::numbers::pi * cutoff_hz / rate_hz;
  const double alpha = std::sin(w0) / (2.0 * q);
  const double cos_w0 = std::cos(w0);
  const double a0 = 1.0 + alpha;
  Biquad s;
  s.b0 = (1.0 - cos_w0) / 2.0 / a0;
  s.b1 = (1.0 - cos_w0) / a0;
  s.b2 = s.b0;
  s.a1 = -2.0 * cos_w0 / a0;
  s.a2 = (1.0 - alpha) / a0;
  return s;
}

Biquad high_pass(double cutoff_hz, double q, int rate_hz) {
  const double w0 = 2.0 * std::numbers::pi * cutoff_hz / rate_hz;
  const double alpha = std::sin(w0) / (2.0 * q);
  const double cos_w0 = std::cos(w0);
  const double a0 = 1.0 + alpha;
  Biquad s;
  s.b0 = (1.0 + cos_w0) / 2.0 / a0;
  s.b1 = -(1.0 + cos_w0) / a0;
  s.b2 = s.b0;
  s.a1 = -2.0 * cos_w0 / a0;
  s.a2 = (1.0 - alpha) / a0;
  return s;
}

}  // namespace

ButterworthBandPass::ButterworthBandPass(int rate_hz, double low_hz, double high_hz) : rate_hz_(rate_hz) {
  if (rate_hz <= 0) throw std::invalid_argument("ButterworthBandPass: rate_hz must be > 0");
  if (!(low_hz > 0.0) || !(low_hz < high_hz) || !(high_hz < rate_hz / 2.0)) {
    throw std::invalid_argument("ButterworthBandPass: need 0 < low_hz (" + std::to_string(low_hz) + ") < high_hz (" +
                                std::to_string(high_hz) + ") < rate_hz / 2 (" + std::to_string(rate_hz / 2.0) + ")");
  }
  sections_ = {high_pass(low_hz, kButterworth4Q[0], rate_hz), high_pass(low_hz, kButterworth4Q[1], rate_hz),
               low_pass(high_hz, kButterworth4Q[0], rate_hz), low_pass(high_hz, kButterworth4Q[1], rate_hz)};
}

void ButterworthBandPass::process(std::span<float> samples) noexcept {
  for (float& x : samples) {
    float y = x;
    for (Biquad& s : sections_) y = s.process(y);
    x = y;
  }
}

void ButterworthBandPass::reset() noexcept {
  for (Biquad& s : sections_) s.z1 = s.z2 = 0.0;
}

double ButterworthBandPass::gain_at(double frequency_hz) const noexcept {
  const std::complex<double> z_inv = std::polar(1.0, -2.0 * std::numbers::pi * frequency_hz / rate_hz_);
  std::complex<double> h = 1.0;
  for (const Biquad& s : sections_) {
    h *= (s.b0 + s.b1 * z_inv + s.b2 * z_inv * z_inv) / (1.0 + s.a1 * z_inv + s.a2 * z_inv * z_inv);
  }
  return std::abs(h);
}

}  // namespace tw::dsp
