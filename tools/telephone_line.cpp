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

// A full-scale sine has mean square 1/2: +3.01 dB turns dB re amplitude 1 into
// dB re full-scale sine.
constexpr double kSineReferenceDb = 3.0102999566398120;

}  // namespace

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
