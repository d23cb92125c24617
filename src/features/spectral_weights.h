#pragma once
// Per-bin weights that turn a frame's power spectrum into calibrated energies.

#include <cstddef>
#include <span>
#include <vector>

#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"

namespace tw::features {

/// Parseval factors: sum_k factor[k] * |X_k|^2 of a windowed frame is the mean
/// square of the unwindowed signal (for a stationary signal). The one-sided
/// spectrum counts every bin but DC and Nyquist twice.
std::vector<float> mean_square_factors(const dsp::SpectrumAnalyzer& analyzer);

/// Mean-square factors restricted to [low_hz, high_hz) (bins whose centre lies inside).
std::vector<float> band_factors(const dsp::SpectrumAnalyzer& analyzer, double low_hz, double high_hz);

/// sum_k weights[k] * power[k], in kWeightedSumLanes partial sums (bin k in partial
/// k % kWeightedSumLanes; bins past the last whole group of lanes first). Real-time safe.
float weighted_sum(std::span<const float> weights, std::span<const float> power) noexcept;
inline constexpr std::size_t kWeightedSumLanes = 8;

/// A weight table shared between streams, and the part of it a band's sum needs:
/// from the first non-zero weight, rounded down to a multiple of kWeightedSumLanes,
/// to the last, rounded up. The bins left out hold zero weights and every bin
/// summed keeps its partial sum, so sum() is weighted_sum over the whole table to
/// the bit (for finite, non-negative powers and weights) with fewer products: a
/// 250-1000 Hz band reads 40 of a 40 ms frame's 161 bins.
class BandWeights {
 public:
  BandWeights() = default;
  explicit BandWeights(std::vector<float> weights);
  /// Real-time safe.
  float sum(std::span<const float> power) const noexcept {
    return weighted_sum(table_.span().subspan(begin_, size_), power.subspan(begin_, size_));
  }
  std::span<const float> weights() const noexcept { return table_.span(); }

 private:
  dsp::SharedTable<float> table_;
  std::size_t begin_ = 0, size_ = 0;
};

/// band_factors doubled: their sum is the band's level re a full-scale sine (mean
/// square 1/2, AES17), the level the VAD and the syllable detector watch.
BandWeights sine_level_band_weights(const dsp::SpectrumAnalyzer& analyzer, double low_hz, double high_hz);

/// 10 log10(power ratio), clamped below at kSilenceFloorDb for silence and NaN.
float power_to_db(float power) noexcept;

}  // namespace tw::features
