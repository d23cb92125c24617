#pragma once
// Spectral evidence for choosing between a period and its double or triple:
// a harmonic sieve on the shared frame's spectrum.

#include <cstddef>
#include <vector>

#include "dsp/spectrum_analyzer.h"

namespace tw::features {

/// What the spectrum says about the partials that a fundamental g has and the
/// fundamental m * g has not (the harmonics k * g with k not a multiple of m).
struct SieveEvidence {
  /// Mean amplitude at those partials over the mean amplitude midway between
  /// neighbouring harmonics of g: above 1 where they stand out as peaks, about
  /// 1 in noise, below 1 where there are none (the midpoints then lie nearer
  /// the real partials). 0 when nothing was measured.
  float contrast = 0.0f;
  /// Mean amplitude at those partials over the mean amplitude at the partials
  /// both fundamentals share (the multiples of m * g). 0 when nothing was measured.
  float level = 0.0f;
};

/// Harmonic sieve over one frame's amplitude spectrum. One instance per stream.
class HarmonicSieve {
 public:
  /// Evaluates partials up to `top_hz` of fundamentals up to `max_f0_hz` (and
  /// the midpoints up to half of max_f0_hz above top_hz). Allocates. Throws
  /// std::invalid_argument unless top_hz + max_f0_hz / 2 lies below Nyquist.
  HarmonicSieve(const dsp::SpectrumAnalyzer& analyzer, double top_hz, double max_f0_hz);

  /// Takes the amplitude spectrum of `frame`. Real-time safe.
  void load(const dsp::AnalysisFrame& frame) noexcept;
  /// The evidence for fundamental `g_hz` (0 < g_hz <= max_f0_hz) against
  /// `m` * `g_hz` (m >= 2) in the loaded frame; empty evidence otherwise. The
  /// contrast is only measured (else 0) when the level reaches `min_level`.
  /// Real-time safe.
  SieveEvidence evidence(double g_hz, int m, float min_level = 0.0f) const noexcept;

 private:
  float amplitude_at(float bin) const noexcept;

  double bin_hz_;
  double top_hz_;
  double max_f0_hz_;
  std::vector<float> amplitude_;  // |X_k| of the loaded frame, bins 0 .. size - 1
};

}  // namespace tw::features
