#include "features/harmonic_sieve.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/decibels.h"
#include "dsp/radix_select.h"

namespace tw::features {

HarmonicSieve::HarmonicSieve(const dsp::SpectrumAnalyzer& analyzer, double top_hz, double max_f0_hz)
    : bin_hz_(analyzer.bin_hz()), top_hz_(top_hz), max_f0_hz_(max_f0_hz) {
  const double nyquist_hz = analyzer.sample_rate_hz() / 2.0;
  if (!(top_hz > 0.0 && max_f0_hz > 0.0 && top_hz + 0.5 * max_f0_hz + 2.0 * bin_hz_ < nyquist_hz)) {
    throw std::invalid_argument("HarmonicSieve: top_hz + max_f0_hz / 2 must lie below the Nyquist frequency");
  }
  // Midpoints reach half a fundamental above the top partial, and the
  // refined fundamental may lie kRefineSteps * kRefineStep higher; one more
  // bin for the interpolation.
  const auto bins =
      static_cast<std::size_t>(std::ceil((top_hz * (1.0 + kRefineSteps * kRefineStep) + 0.5 * max_f0_hz) / bin_hz_)) + 2;
  level_bins_ = bins;
  median_bins_ = std::min(bins, static_cast<std::size_t>(std::ceil(top_hz / bin_hz_)) + 1);
  // One comparison per partial, for fundamentals down to 20 Hz (a lower one
  // is read up to as many partials).
  partials_ = static_cast<std::size_t>(std::ceil(top_hz / 20.0)) + 1;
  LevelScratch::reserve(level_bins_);
  MedianScratch::reserve(median_bins_);
  ContrastsScratch::reserve(partials_);
  LevelsScratch::reserve(partials_);
}

void HarmonicSieve::load(const dsp::AnalysisFrame& frame) noexcept {
  level_db_ = LevelScratch::get(level_bins_);
  contrasts_db_ = ContrastsScratch::get(partials_);
  levels_db_ = LevelsScratch::get(partials_);
  const std::size_t n = std::min(level_db_.size(), frame.power.size());
  float peak = 0.0f;
  for (std::size_t k = 0; k < n; ++k) peak = std::max(peak, frame.power[k]);
  // 60 dB below the frame's strongest component: deeper than any partial the
  // comparisons need to see, and it keeps a removed band's log finite.
  const float floor_power = std::max(peak * 1e-6f, 1e-30f);
  const float* power = frame.power.data();
  float* level = level_db_.data();
  for (std::size_t k = 0; k < n; ++k) level[k] = dsp::power_to_db_fast(std::max(power[k], floor_power));
  for (std::size_t k = n; k < level_db_.size(); ++k) level[k] = dsp::power_to_db_fast(floor_power);
  // The frame's noise level: the median of its dB spectrum over the band the
  // partials are read in. A voice's harmonics occupy a few bins of every
  // fundamental's width, so most bins lie between them.
  const std::size_t band = std::min(median_bins_, level_db_.size());
  noise_db_ = dsp::kth_smallest(level_db_.first(band), band / 2, MedianScratch::get(median_bins_));
}

float HarmonicSieve::level_db_at(float bin) const noexcept {
  // Linear interpolation of the dB spectrum; callers keep 0 <= bin < size - 1.
  const auto i = static_cast<std::size_t>(bin);
  const float frac = bin - static_cast<float>(i);
  return level_db_[i] + frac * (level_db_[i + 1] - level_db_[i]);
}

double HarmonicSieve::refine_fundamental(double g_hz, int m) const noexcept {
  // The caller's fundamental comes from a lag of the decimated
  // autocorrelation, good to a percent or two: enough to tell octaves apart,
  // not to place the tenth harmonic on its peak (two percent of 2 kHz is 40 Hz,
  // more than a bin). The comb of the partials both hypotheses share (the
  // harmonics of m * g, which the shorter period's own dip vouches for) is
  // slid over +-3 % for the largest mean dB level (subharmonic summation on a
  // log spectrum, Hermes 1988). Only the shared partials place it: were the
  // extra partials let in, the comb would settle on noise peaks where there
  // are none and lend them the contrast of partials.
  double best_g = g_hz;
  float best_mean = -1e30f;
  for (int step = -kRefineSteps; step <= kRefineSteps; ++step) {
    const double g = g_hz * (1.0 + kRefineStep * step);
    if (g > max_f0_hz_) continue;
    const int top_k = static_cast<int>(top_hz_ / g);
    if (top_k < m) continue;
    const auto g_bins = static_cast<float>(g / bin_hz_);
    float sum = 0.0f;
    int count = 0;
    for (int k = m; k <= top_k; k += m, ++count) sum += level_db_at(static_cast<float>(k) * g_bins);
    const float mean = sum / static_cast<float>(count);
    if (mean > best_mean) {
      best_mean = mean;
      best_g = g;
    }
  }
  return best_g;
}

SieveEvidence HarmonicSieve::evidence(double g_hz, int m, float min_level_db) noexcept {
  // A harmonic sieve (Duifhuis, Willems & Sluyter 1982, JASA 71:1568) asks
  // whether spectral components sit at the harmonics of a candidate
  // fundamental. Here it decides between g and m * g: both explain the
  // harmonics k * g with k a multiple of m, so only the others ("extra"
  // partials) tell them apart.
  //
  // Each extra partial is compared locally, in dB: with the spectrum midway
  // to its neighbouring harmonics of g (is it a peak?) and with the shared
  // partials on either side of it (how strong is it?), and the median over
  // the partials decides. Local comparisons do not depend on level or
  // spectral tilt, and the median lets no single partial rule: a voice whose
  // second harmonic towers 30 dB over the rest (common once a telephone line
  // has taken the fundamental) still shows its odd harmonics level with
  // their neighbours, where a mean of amplitudes would see only the second
  // harmonic; and the fundamental the line removed is one outvoted partial.
  SieveEvidence result;
  if (!(g_hz > 0.0 && g_hz <= max_f0_hz_) || m < 2 || level_db_.empty()) return result;
  g_hz = refine_fundamental(g_hz, m);
  const auto g_bins = static_cast<float>(g_hz / bin_hz_);
  const auto half_g_bins = 0.5f * g_bins;
  const auto top_k = std::min(static_cast<int>(top_hz_ / g_hz), static_cast<int>(levels_db_.size()));
  // How far harmonic j of g rises over the spectrum half a fundamental either
  // side: a valley under either hypothesis.
  const auto rise_db = [&](int j) {
    const float position = static_cast<float>(j) * g_bins;
    return level_db_at(position) - 0.5f * (level_db_at(position - half_g_bins) + level_db_at(position + half_g_bins));
  };
  // A shared partial is present where it rises kPresentDb over those valleys
  // and stands above the frame's noise level. Only extra partials next to a
  // present one are compared: elsewhere (noise beside a pure tone, a band the
  // line removed) there is nothing to compare, and noise against noise would
  // vote at random.
  const auto present_db = [&](int j) {
    const float own_db = level_db_at(static_cast<float>(j) * g_bins);
    return rise_db(j) >= kPresentDb && own_db - noise_db_ >= kAboveNoiseDb ? own_db : kAbsentDb;
  };
  std::size_t count = 0;
  for (int k = 1; k <= top_k; ++k) {
    if (k % m == 0) continue;
    // The shared partials either side (only the one above for k < m), if present.
    const int below = (k / m) * m;
    const int above = below + m;
    float shared_db = 0.0f;
    int shared_count = 0;
    for (const int j : {below, above}) {
      if (j < m || j > top_k) continue;
      const float level = present_db(j);
      if (level == kAbsentDb) continue;
      shared_db += level;
      ++shared_count;
    }
    if (shared_count == 0) continue;
    levels_db_[count] = level_db_at(static_cast<float>(k) * g_bins) - shared_db / static_cast<float>(shared_count);
    contrasts_db_[count] = rise_db(k);
    ++count;
  }
  if (count == 0) return result;
  const auto median = [count](std::span<float> values) {
    const auto mid = values.begin() + static_cast<std::ptrdiff_t>(count / 2);
    std::nth_element(values.begin(), mid, values.begin() + static_cast<std::ptrdiff_t>(count));
    if (count % 2 == 1) return *mid;
    const float lower = *std::max_element(values.begin(), mid);
    return 0.5f * (lower + *mid);
  };
  result.level_db = median(levels_db_);
  // Partials too weak to count need no contrast (the caller asks for both).
  if (!(result.level_db >= min_level_db)) return result;
  result.contrast_db = median(contrasts_db_);
  return result;
}

}  // namespace tw::features
