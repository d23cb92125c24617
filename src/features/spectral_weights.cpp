#include "features/spectral_weights.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "features/hop_features.h"

namespace tw::features {

std::vector<float> mean_square_factors(const dsp::SpectrumAnalyzer& analyzer) {
  return band_factors(analyzer, 0.0, analyzer.sample_rate_hz());
}

BandWeights sine_level_band_weights(const dsp::SpectrumAnalyzer& analyzer, double low_hz, double high_hz) {
  std::vector<float> weights = band_factors(analyzer, low_hz, high_hz);
  for (float& w : weights) w *= 2.0f;
  return BandWeights(std::move(weights));
}

BandWeights::BandWeights(std::vector<float> weights) {
  const std::size_t n = weights.size();
  std::size_t first = 0, last = n;  // [first, last): the non-zero weights
  while (first < n && weights[first] == 0.0f) ++first;
  while (last > first && weights[last - 1] == 0.0f) --last;
  begin_ = first == n ? 0 : first / kWeightedSumLanes * kWeightedSumLanes;
  // Whole groups of lanes from begin_; where they would pass the table's last whole
  // group, the table's own tail (so the bins after it are summed as they are there).
  const std::size_t groups = (last - begin_ + kWeightedSumLanes - 1) / kWeightedSumLanes;
  size_ = std::min(n, begin_ + groups * kWeightedSumLanes) - begin_;
  if (begin_ + size_ > n - n % kWeightedSumLanes) size_ = n - begin_;
  table_ = dsp::SharedTable<float>(std::move(weights));
}

std::vector<float> band_factors(const dsp::SpectrumAnalyzer& analyzer, double low_hz, double high_hz) {
  const std::size_t bins = analyzer.bins();
  const double n = static_cast<double>(analyzer.frame_samples());
  std::vector<float> factors(bins, 0.0f);
  for (std::size_t k = 0; k < bins; ++k) {
    const double f = k * analyzer.bin_hz();
    if (f < low_hz || f >= high_hz) continue;
    const double one_sided = (k == 0 || k + 1 == bins) ? 1.0 : 2.0;
    factors[k] = static_cast<float>(one_sided / (n * analyzer.window_energy()));
  }
  return factors;
}

// Built twice on x86-64, for AVX2 and for the baseline the package targets, the
// loader choosing for the CPU it runs on (function multi-versioning, an ifunc): seven
// of these sums a hop are 9 % of a worker's instructions, and AVX2 holds the eight
// partial sums in one register. Each partial sum adds the same products in the same
// order in both (AVX2 without FMA: no contraction), so the result is the same to
// the bit on any CPU.
#if defined(__x86_64__) && defined(__GNUC__)
#define TW_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define TW_AVX2_CLONE
#endif

TW_AVX2_CLONE float weighted_sum(std::span<const float> weights, std::span<const float> power) noexcept {
  // Eight independent partial sums: the compiler keeps them in vector lanes
  // (a plain serial float sum cannot be reordered without -ffast-math).
  constexpr std::size_t kLanes = kWeightedSumLanes;
  float lanes[kLanes] = {};
  const std::size_t n = weights.size();
  const std::size_t whole = n - n % kLanes;
  const float* w = weights.data();
  const float* p = power.data();
  for (std::size_t k = 0; k < whole; k += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) lanes[j] += w[k + j] * p[k + j];
  }
  float sum = 0.0f;
  for (std::size_t k = whole; k < n; ++k) sum += w[k] * p[k];
  for (float lane : lanes) sum += lane;
  return sum;
}

float power_to_db(float power) noexcept {
  if (!(power > 1e-12f)) return kSilenceFloorDb;  // also catches NaN
  return 10.0f * std::log10(power);
}

}  // namespace tw::features
