#pragma once
// Spectral cues of vocal effort: a louder, pressed voice tilts energy upwards.

#include <vector>

#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"
#include "features/spectral_weights.h"

namespace tw::features {

struct VocalEffortEstimate {
  float alpha_ratio_db;  ///< energy 1-4 kHz over 50 Hz-1 kHz (eGeMAPS alpha ratio, telephone band)
  float centroid_hz;     ///< power-weighted mean frequency over 50 Hz-4 kHz
};

class VocalEffortAnalyzer {
 public:
  explicit VocalEffortAnalyzer(const dsp::SpectrumAnalyzer& analyzer);
  /// Real-time safe. Silent frames give 0 for both.
  VocalEffortEstimate process(const dsp::AnalysisFrame& frame) const noexcept;

 private:
  // Weights over the bins, shared by every stream of this frame size.
  BandWeights low_band_;                   // 50 Hz - 1 kHz
  BandWeights high_band_;                  // 1 kHz - Nyquist
  dsp::SharedTable<float> centroid_band_;  // 1 within 50 Hz - Nyquist, else 0
  dsp::SharedTable<float> frequency_;      // bin frequency within 50 Hz - Nyquist, else 0
};

}  // namespace tw::features
