#include "tools/telephone_line.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>

namespace tw::tools {
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

// A full-scale sine has mean square 1/2: +3.01 dB turns dB re amplitude 1 into
// dB re full-scale sine.
constexpr double kSineReferenceDb = 3.0102999566398120;

}  // namespace

TelephoneBandFilter::TelephoneBandFilter(int rate_hz, double low_hz, double high_hz) : rate_hz_(rate_hz) {
  if (rate_hz <= 0) throw std::invalid_argument("TelephoneBandFilter: rate_hz must be > 0");
  if (!(low_hz > 0.0) || !(low_hz < high_hz) || !(high_hz < rate_hz / 2.0)) {
    throw std::invalid_argument("TelephoneBandFilter: need 0 < low_hz (" + std::to_string(low_hz) + ") < high_hz (" +
                                std::to_string(high_hz) + ") < rate_hz / 2 (" + std::to_string(rate_hz / 2.0) + ")");
  }
  sections_ = {high_pass(low_hz, kButterworth4Q[0], rate_hz), high_pass(low_hz, kButterworth4Q[1], rate_hz),
               low_pass(high_hz, kButterworth4Q[0], rate_hz), low_pass(high_hz, kButterworth4Q[1], rate_hz)};
}

void TelephoneBandFilter::process(std::span<float> samples) noexcept {
  for (float& x : samples) {
    float y = x;
    for (Biquad& s : sections_) y = s.process(y);
    x = y;
  }
}

void TelephoneBandFilter::reset() noexcept {
  for (Biquad& s : sections_) s.z1 = s.z2 = 0.0;
}

double TelephoneBandFilter::gain_at(double frequency_hz) const noexcept {
  const std::complex<double> z_inv = std::polar(1.0, -2.0 * std::numbers::pi * frequency_hz / rate_hz_);
  std::complex<double> h = 1.0;
  for (const Biquad& s : sections_) {
    h *= (s.b0 + s.b1 * z_inv + s.b2 * z_inv * z_inv) / (1.0 + s.a1 * z_inv + s.a2 * z_inv * z_inv);
  }
  return std::abs(h);
}

double active_speech_level_dbfs(std::span<const float> samples, int rate_hz) {
  // ITU-T P.56 (12/2011), method B. The envelope is |x| smoothed twice by a
  // one-pole filter with a 30 ms time constant; threshold c_j counts a sample
  // as active while the envelope is at or above it, or within the 200 ms
  // hangover after it last was. The thresholds are the 16-bit amplitude ladder
  // 2^-15 .. 2^0 (a factor of 2, i.e. 6.02 dB, apart).
  constexpr int kThresholds = 16;
  constexpr double kMarginDb = 15.9;
  constexpr double kTimeConstantS = 0.03;
  constexpr double kHangoverS = 0.2;
  if (samples.empty() || rate_hz <= 0) return kNoSpeechLevelDbfs;
  const double g = std::exp(-1.0 / (rate_hz * kTimeConstantS));
  const auto hangover_samples = static_cast<long>(std::ceil(kHangoverS * rate_hz));

  double thresholds[kThresholds];
  for (int j = 0; j < kThresholds; ++j) thresholds[j] = std::ldexp(1.0, j - 15);
  long active[kThresholds] = {};
  long since_above[kThresholds];
  std::fill(std::begin(since_above), std::end(since_above), hangover_samples);

  double energy = 0.0, p = 0.0, q = 0.0;
  for (const float sample : samples) {
    const double x = std::isfinite(sample) ? sample : 0.0;
    energy += x * x;
    p = g * p + (1.0 - g) * std::abs(x);
    q = g * q + (1.0 - g) * p;
    for (int j = 0; j < kThresholds; ++j) {
      if (q >= thresholds[j]) {
        ++active[j];
        since_above[j] = 0;
      } else if (since_above[j] < hangover_samples) {
        ++active[j];
        ++since_above[j];
      }
    }
  }
  if (energy <= 0.0 || active[0] == 0) return kNoSpeechLevelDbfs;

  // A_j - C_j falls as the threshold rises; the active level is A where that
  // difference crosses the margin M, interpolated linearly between ladder steps.
  double previous_level_db = 0.0, previous_difference_db = 0.0;
  for (int j = 0; j < kThresholds; ++j) {
    if (active[j] == 0) return previous_level_db + kSineReferenceDb;
    const double level_db = 10.0 * std::log10(energy / static_cast<double>(active[j]));
    const double difference_db = level_db - 20.0 * std::log10(thresholds[j]);
    if (difference_db <= kMarginDb) {
      if (j == 0) return level_db + kSineReferenceDb;
      const double t = (previous_difference_db - kMarginDb) / (previous_difference_db - difference_db);
      return previous_level_db + t * (level_db - previous_level_db) + kSineReferenceDb;
    }
    previous_level_db = level_db;
    previous_difference_db = difference_db;
  }
  return previous_level_db + kSineReferenceDb;
}

std::vector<float> line_noise(std::size_t frames, int rate_hz, double level_dbfs, std::uint64_t seed,
                              std::uint64_t stream) {
  std::vector<float> noise(frames);
  if (frames == 0) return noise;
  // std::seed_seq and std::mt19937_64 are specified to the bit by the standard,
  // and the Gaussian comes from our own Box-Muller transform (the standard
  // distributions are not portable), so a seed gives the same call everywhere.
  std::seed_seq sequence{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                         static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  std::mt19937_64 engine(sequence);
  auto uniform_open = [&engine] { return (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53; };
  TelephoneBandFilter filter(rate_hz);
  // Half a second of warm-up lets the filter settle, so the noise starts steady.
  const std::size_t warm_up = static_cast<std::size_t>(rate_hz) / 2;
  float block[2];
  double sum_squares = 0.0;
  for (std::size_t i = 0; i < warm_up + frames; i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(uniform_open()));
    const double angle = 2.0 * std::numbers::pi * uniform_open();
    block[0] = static_cast<float>(radius * std::cos(angle));
    block[1] = static_cast<float>(radius * std::sin(angle));
    filter.process(block);
    for (std::size_t k = 0; k < 2; ++k) {
      if (i + k >= warm_up && i + k < warm_up + frames) {
        noise[i + k - warm_up] = block[k];
        sum_squares += static_cast<double>(block[k]) * block[k];
      }
    }
  }
  const double rms = std::sqrt(sum_squares / static_cast<double>(frames));
  const double target_rms = std::pow(10.0, (level_dbfs - kSineReferenceDb) / 20.0);
  const auto scale = static_cast<float>(rms > 0.0 ? target_rms / rms : 0.0);
  for (float& x : noise) x *= scale;
  return noise;
}

}  // namespace tw::tools
