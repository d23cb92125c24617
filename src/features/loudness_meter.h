#pragma once
// Level and perceptual loudness of a frame.

#include <vector>

#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"

namespace tw::features {

struct LoudnessEstimate {
  float level_dbfs;   ///< RMS level, dB re full-scale sine
  float loudness_db;  ///< K-weighted level, dB re full-scale 1 kHz sine
};

/// Level and K-weighted loudness from the shared power spectrum. The K-weighting
/// of ITU-R BS.1770-4 (a +4 dB high shelf above ~1.5 kHz and the RLB high-pass
/// near 38 Hz) is applied as its magnitude response per bin, normalized to 0 dB
/// at 1 kHz, so a 1 kHz sine reads the same in both measures. For one channel,
/// loudness_db = BS.1770 loudness (LKFS) + 3.01 dB.
class LoudnessMeter {
 public:
  explicit LoudnessMeter(const dsp::SpectrumAnalyzer& analyzer);
  /// Real-time safe.
  LoudnessEstimate process(const dsp::AnalysisFrame& frame) const noexcept;
  /// Squared K-weighting gain at a frequency, relative to 1 kHz (exposed for tests).
  static double k_weighting_power_gain(double frequency_hz);

 private:
  dsp::SharedTable<float> level_weights_;     // shared by every stream of this frame size
  dsp::SharedTable<float> loudness_weights_;
};

}  // namespace tw::features
