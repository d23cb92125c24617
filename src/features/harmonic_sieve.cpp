#include "features/harmonic_sieve.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::features {

HarmonicSieve::HarmonicSieve(const dsp::SpectrumAnalyzer& analyzer, double top_hz, double max_f0_hz)
    : bin_hz_(analyzer.bin_hz()), top_hz_(top_hz), max_f0_hz_(max_f0_hz) {
  const double nyquist_hz = analyzer.sample_rate_hz() / 2.0;
  if (!(top_hz > 0.0 && max_f0_hz > 0.0 && top_hz + 0.5 * max_f0_hz + 2.0 * bin_hz_ < nyquist_hz)) {
    throw std::invalid_argument("HarmonicSieve: top_hz + max_f0_hz / 2 must lie below the Nyquist frequency");
  }
  // Midpoints reach half a fundamental above the top partial; one more bin for
  // the interpolation.
  const auto bins = static_cast<std::size_t>(std::ceil((top_hz + 0.5 * max_f0_hz) / bin_hz_)) + 2;
  amplitude_.assign(bins, 0.0f);
}

void HarmonicSieve::load(const dsp::AnalysisFrame& frame) noexcept {
  const std::size_t n = std::min(amplitude_.size(), frame.power.size());
  for (std::size_t k = 0; k < n; ++k) amplitude_[k] = std::sqrt(std::max(0.0f, frame.power[k]));
}

float HarmonicSieve::amplitude_at(float bin) const noexcept {
  // Linear interpolation between bins; callers keep 0 <= bin < size - 1.
  const auto i = static_cast<std::size_t>(bin);
  const float frac = bin - static_cast<float>(i);
  return amplitude_[i] + frac * (amplitude_[i + 1] - amplitude_[i]);
}

SieveEvidence HarmonicSieve::evidence(double g_hz, int m, float min_level) const noexcept {
  // A harmonic sieve (Duifhuis, Willems & Sluyter 1982, JASA 71:1568) asks
  // whether spectral components sit at the harmonics of a candidate
  // fundamental. Here it decides between g and m * g: both explain the
  // harmonics k * g with k a multiple of m, so only the others ("extra"
  // partials) tell them apart. They are compared with the spectrum midway
  // between harmonics of g, so the measure does not depend on level or
  // spectral tilt. Amplitudes rather than powers: a compressed spectrum gives
  // weak partials their say, as in Hermes' subharmonic summation (1988, JASA
  // 83:257), where the power-weighted autocorrelation is ruled by the strongest
  // partial (on a telephone line the third or fourth harmonic).
  SieveEvidence result;
  if (!(g_hz > 0.0 && g_hz <= max_f0_hz_) || m < 2) return result;
  // In bins: every position, midpoints included, lies inside amplitude_ (sized
  // for top_hz + max_f0_hz / 2 at construction).
  const auto g_bins = static_cast<float>(g_hz / bin_hz_);
  const auto half_g_bins = 0.5f * g_bins;
  const auto top_k = static_cast<int>(top_hz_ / g_hz);
  double extras = 0.0, shared = 0.0;
  int extra_count = 0, shared_count = 0;
  for (int k = 1; k <= top_k; ++k) {
    const float a = amplitude_at(static_cast<float>(k) * g_bins);
    if (k % m == 0) {
      shared += a;
      ++shared_count;
    } else {
      extras += a;
      ++extra_count;
    }
  }
  if (extra_count == 0) return result;
  if (shared_count > 0 && shared > 0.0) {
    result.level = static_cast<float>((extras / extra_count) / (shared / shared_count));
  }
  // Partials too weak to count need no contrast (the caller asks for both).
  if (!(result.level >= min_level)) return result;
  double midpoints = 0.0;
  for (int k = 1; k <= top_k; ++k) {
    if (k % m == 0) continue;
    const float position = static_cast<float>(k) * g_bins;
    midpoints += 0.5f * (amplitude_at(position - half_g_bins) + amplitude_at(position + half_g_bins));
  }
  if (midpoints > 0.0) result.contrast = static_cast<float>(extras / midpoints);
  return result;
}

}  // namespace tw::features
