// Band sums over a frame's power spectrum: BandWeights reads only a band's bins and
// must give weighted_sum's value over the whole table to the bit.

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <cstdint>
#include <random>
#include <vector>

#include "dsp/spectrum_analyzer.h"
#include "dsp/stream_spec.h"
#include "features/spectral_weights.h"

namespace {

// Random power spectra over many decades (speech spans 60 dB and more), with some
// exact zeros (digital silence), so lane order and rounding would show.
std::vector<std::vector<float>> random_spectra(std::size_t bins, std::size_t count) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> decades(-12.0f, 0.0f);
  std::vector<std::vector<float>> spectra(count, std::vector<float>(bins));
  for (auto& s : spectra) {
    for (float& p : s) p = rng() % 20 == 0 ? 0.0f : std::pow(10.0f, decades(rng));
  }
  return spectra;
}

}  // namespace

TEST_CASE("a band's sum over its own bins equals the sum over the whole table to the bit", "[dsp]") {
  const tw::dsp::SpectrumAnalyzer analyzer(tw::dsp::kFrameSize40ms8kHz, tw::dsp::kAnalysisRateHz);
  const auto spectra = random_spectra(analyzer.bins(), 200);
  struct Band {
    double low_hz, high_hz;
    std::size_t most_bins;  // how many bins the sum may read
  };
  // 25 Hz bins, 161 of them: the syllable detector's first-formant band, the VAD's
  // voice band, the alpha ratio's two bands, one reaching the table's last bin, one
  // holding a single bin, and the whole spectrum.
  for (const Band band : {Band{250.0, 1000.0, 40}, Band{250.0, 3500.0, 136}, Band{50.0, 1000.0, 40},
                          Band{1000.0, 4001.0, 121}, Band{3990.0, 4001.0, 9}, Band{400.0, 410.0, 8},
                          Band{0.0, 4001.0, 161}}) {
    const tw::features::BandWeights weights = tw::features::sine_level_band_weights(analyzer, band.low_hz, band.high_hz);
    INFO("band " << band.low_hz << "-" << band.high_hz << " Hz");
    std::size_t differ = 0, nonzero = 0;
    for (const auto& power : spectra) {
      const float whole = tw::features::weighted_sum(weights.weights(), power);
      const float part = weights.sum(power);
      differ += std::bit_cast<std::uint32_t>(whole) != std::bit_cast<std::uint32_t>(part) ? 1 : 0;
      nonzero += whole > 0.0f ? 1 : 0;
    }
    CHECK(differ == 0);
    CHECK(nonzero >= 180);  // the sums really hold the band's power (1 in 20 bins is zero)
  }
  // And it reads fewer bins: count them by a power spectrum that is NaN outside
  // what the sum may read (NaN anywhere it reads would make the sum NaN).
  for (const Band band : {Band{250.0, 1000.0, 40}, Band{1000.0, 4001.0, 121}, Band{400.0, 410.0, 8}}) {
    const tw::features::BandWeights weights = tw::features::sine_level_band_weights(analyzer, band.low_hz, band.high_hz);
    const std::span<const float> w = weights.weights();
    std::size_t first = 0;
    while (w[first] == 0.0f) ++first;
    const std::size_t begin = first / tw::features::kWeightedSumLanes * tw::features::kWeightedSumLanes;
    std::vector<float> power(w.size(), std::numeric_limits<float>::quiet_NaN());
    for (std::size_t k = begin; k < std::min(w.size(), begin + band.most_bins); ++k) power[k] = 1.0f;
    INFO("band " << band.low_hz << "-" << band.high_hz << " Hz, bins " << begin << " to " << begin + band.most_bins);
    CHECK(std::isfinite(weights.sum(power)));
    CHECK(weights.sum(power) > 0.0f);
  }
}
