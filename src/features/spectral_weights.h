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

/// band_factors doubled, shared between streams: weighted_sum with these is the
/// band's level re a full-scale sine (mean square 1/2, AES17), the level the VAD
/// and the syllable detector watch.
dsp::SharedTable<float> sine_level_band_weights(const dsp::SpectrumAnalyzer& analyzer, double low_hz, double high_hz);

/// sum_k weights[k] * power[k]. Real-time safe.
float weighted_sum(std::span<const float> weights, std::span<const float> power) noexcept;

/// 10 log10(power ratio), clamped below at kSilenceFloorDb for silence and NaN.
float power_to_db(float power) noexcept;

}  // namespace tw::features
