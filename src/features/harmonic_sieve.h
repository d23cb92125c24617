#pragma once
// Spectral evidence for choosing between a period and its double or triple:
// a harmonic sieve on the shared frame's spectrum.

#include <cstddef>
#include <cstdint>
#include <span>

#include "dsp/spectrum_analyzer.h"
#include "dsp/thread_scratch.h"

namespace tw::features {

/// What the spectrum says about the partials that a fundamental g has and the
/// fundamental m * g has not (the harmonics k * g with k not a multiple of m,
/// "extra" partials). Each is a median over those partials of a local
/// comparison in dB, so neither one dominant partial nor a few the channel
/// removed (a telephone line's fundamental) decide it.
struct SieveEvidence {
  /// Median over the extra partials of their level above the spectrum midway
  /// to the neighbouring harmonics of g: well above 0 dB where they stand out
  /// as peaks, about 0 dB in noise, below 0 dB where there are none (the
  /// midpoints then lie nearer the real partials). kNoEvidenceDb when nothing
  /// was measured.
  float contrast_db = kNoEvidenceDb;
  /// Median over the extra partials of their level relative to the nearest
  /// partials both fundamentals share (the multiples of m * g on either side,
  /// averaged in dB). kNoEvidenceDb when nothing was measured.
  float level_db = kNoEvidenceDb;

  static constexpr float kNoEvidenceDb = -1000.0f;
};

/// Harmonic sieve over one frame's amplitude spectrum. One instance per stream.
class HarmonicSieve {
 public:
  /// Evaluates partials up to `top_hz` of fundamentals up to `max_f0_hz` (and
  /// the midpoints up to half of max_f0_hz above top_hz). Allocates. Throws
  /// std::invalid_argument unless top_hz + max_f0_hz / 2 lies below Nyquist.
  HarmonicSieve(const dsp::SpectrumAnalyzer& analyzer, double top_hz, double max_f0_hz);

  /// Takes the amplitude spectrum of `frame` into this thread's scratch: evidence()
  /// reads it until another sieve on this thread loads a frame. Real-time safe once
  /// the thread has loaded a frame (the first load on a thread allocates).
  void load(const dsp::AnalysisFrame& frame) noexcept;
  /// The evidence for fundamental `g_hz` (0 < g_hz <= max_f0_hz) against
  /// `m` * `g_hz` (m >= 2) in the loaded frame; empty evidence otherwise. The
  /// contrast is only measured (else kNoEvidenceDb) when the level reaches
  /// `min_level_db`. Empty evidence before the first load(). Real-time safe.
  SieveEvidence evidence(double g_hz, int m, float min_level_db = SieveEvidence::kNoEvidenceDb) noexcept;

 private:
  float level_db_at(float bin) const noexcept;
  double refine_fundamental(double g_hz, int m) const noexcept;

  static constexpr float kPresentDb = 6.0f;     // a partial's rise over the valleys beside it
  static constexpr float kAboveNoiseDb = 3.0f;  // and its rise over the frame's median level
  static constexpr float kAbsentDb = -1e30f;
  static constexpr int kRefineSteps = 6;        // candidates either side of the given fundamental
  static constexpr double kRefineStep = 0.005;  // relative spacing: +-3 % in all

  double bin_hz_;
  double top_hz_;
  double max_f0_hz_;
  // The loaded frame's arrays are the running thread's scratch (dsp/thread_scratch.h):
  // a sieve is loaded and asked within one hop of one stream (PitchTracker::process).
  struct LevelUse;
  struct MedianUse;
  struct ContrastsUse;
  struct LevelsUse;
  using LevelScratch = dsp::ThreadScratch<float, LevelUse>;
  using MedianScratch = dsp::ThreadScratch<std::uint32_t, MedianUse>;  // dsp::kth_smallest's keys
  using ContrastsScratch = dsp::ThreadScratch<float, ContrastsUse>;
  using LevelsScratch = dsp::ThreadScratch<float, LevelsUse>;
  std::size_t level_bins_ = 0;     // bins of level_db_
  std::size_t median_bins_ = 0;    // bins up to top_hz
  std::size_t partials_ = 0;       // the most partials one evidence() call compares
  std::span<float> level_db_;      // 10 log10 |X_k|^2 of the loaded frame (floored), bins 0 .. size - 1
  float noise_db_ = 0.0f;          // median dB level of the loaded frame up to top_hz
  // Per-partial comparisons of one evidence() call (at most top_hz / lowest g).
  std::span<float> contrasts_db_;
  std::span<float> levels_db_;
};

}  // namespace tw::features
