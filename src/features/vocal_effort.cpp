#include "features/vocal_effort.h"

#include "features/spectral_weights.h"

namespace tw::features {

VocalEffortAnalyzer::VocalEffortAnalyzer(const dsp::SpectrumAnalyzer& analyzer)
    : low_band_(band_factors(analyzer, 50.0, 1000.0)),
      high_band_(band_factors(analyzer, 1000.0, analyzer.sample_rate_hz())) {
  std::vector<float> centroid_band(analyzer.bins(), 0.0f);
  std::vector<float> frequency(analyzer.bins(), 0.0f);
  for (std::size_t k = 0; k < frequency.size(); ++k) {
    const double f = static_cast<double>(k) * analyzer.bin_hz();
    if (f < 50.0) continue;
    centroid_band[k] = 1.0f;
    frequency[k] = static_cast<float>(f);
  }
  centroid_band_ = dsp::SharedTable<float>(std::move(centroid_band));
  frequency_ = dsp::SharedTable<float>(std::move(frequency));
}

VocalEffortEstimate VocalEffortAnalyzer::process(const dsp::AnalysisFrame& frame) const noexcept {
  const float low = low_band_.sum(frame.power);
  const float high = high_band_.sum(frame.power);
  const float total = weighted_sum(centroid_band_, frame.power);
  const float moment = weighted_sum(frequency_, frame.power);
  VocalEffortEstimate estimate{0.0f, 0.0f};
  if (low > 1e-12f && high > 1e-12f) estimate.alpha_ratio_db = power_to_db(high / low);
  if (total > 1e-20f) estimate.centroid_hz = moment / total;
  return estimate;
}

}  // namespace tw::features
