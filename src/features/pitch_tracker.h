#pragma once
// Fundamental frequency and voicing from the shared frame spectrum (FFT-based YIN).

#include <complex>
#include <cstddef>
#include <vector>

#include "dsp/real_fft.h"
#include "dsp/spectrum_analyzer.h"
#include "features/harmonic_sieve.h"

namespace tw::features {

struct PitchConfig {
  float min_f0_hz = 60.0f;
  float max_f0_hz = 500.0f;
  /// YIN absolute threshold on the cumulative-mean-normalized difference: the
  /// first dip below it wins (de Cheveigne & Kawahara 2002 use 0.1-0.15).
  float yin_threshold = 0.2f;
  /// Frames whose best dip stays above this are unvoiced.
  float voicing_threshold = 0.35f;
  /// Upper edge of the band the periodicity analysis uses. Harmonics up to 2 kHz
  /// carry the period even when a telephone line removed the fundamental.
  float analysis_band_hz = 2000.0f;
  /// Octave-jump correction: switch to the octave that agrees with the recent
  /// pitch if its aperiodicity is at most this much worse.
  float octave_tolerance = 0.0f;
  /// Subharmonic check: prefer a half or a third of the chosen lag when its
  /// aperiodicity is at most this much worse (and below voicing_threshold),
  /// unless the harmonic sieve finds the longer period's own partials.
  float submultiple_tolerance = 0.3f;
  /// Harmonic sieve, deciding between a period and its double or triple: the
  /// longer period wins when the partials only it has stand on average at
  /// least this factor above the spectrum midway between harmonics (amplitude
  /// ratio; 1.5 = 3.5 dB) ...
  float sieve_contrast = 1.5f;
  /// ... and reach at least this fraction of the amplitude of the partials the
  /// two periods share (0.15 = -16.5 dB). Weaker subharmonics are period
  /// doubling in the voice, not a missing fundamental's harmonic series.
  float sieve_level = 0.15f;
  /// With the recent pitch near the longer period (continuity), a contrast of
  /// this much is enough (1 = the partials at least level with the midpoints).
  float sieve_memory_contrast = 1.0f;
  /// Voicing hysteresis: right after a voiced hop, a hop whose period lies
  /// within 20 % of it stays voiced while its aperiodicity is below this.
  float continue_voicing_threshold = 0.5f;
  /// How long the recent pitch is remembered across unvoiced gaps.
  float octave_memory_s = 0.3f;
};

struct PitchEstimate {
  float f0_hz = 0.0f;      ///< 0 when unvoiced
  float voicing = 0.0f;    ///< 1 - aperiodicity, in [0, 1]
  float hnr_db = 0.0f;     ///< from the normalized autocorrelation at the period
  bool voiced = false;
};

/// Pitch tracker for one speaker stream. The autocorrelation comes from the
/// shared frame's power spectrum by one inverse FFT at half rate (the band
/// below analysis_band_hz decimated to 2 * analysis_band_hz), is normalized by
/// the window's own autocorrelation (Boersma 1993) and turned into YIN's
/// cumulative-mean-normalized difference function. Whether the period is the
/// lag YIN picks or its double or triple is decided by a harmonic sieve on the
/// frame's spectrum, so a voice whose fundamental and second harmonic a
/// telephone line removed is not tracked an octave or a twelfth high.
class PitchTracker {
 public:
  /// Allocates everything. Throws std::invalid_argument naming the bad field.
  PitchTracker(const PitchConfig& config, const dsp::SpectrumAnalyzer& analyzer);
  PitchTracker(const PitchTracker&) = delete;
  PitchTracker(PitchTracker&&) noexcept = default;

  /// Real-time safe: no allocation, no locks, no I/O, never throws.
  PitchEstimate process(const dsp::AnalysisFrame& frame) noexcept;
  /// Marks a hop as unvoiced without analysing it (a frame the caller gated out
  /// as silence); keeps the octave memory ageing. Real-time safe.
  PitchEstimate skip() noexcept;
  /// Behaves exactly like a fresh instance afterwards; keeps its buffers.
  void reset() noexcept;

  const PitchConfig& config() const noexcept { return config_; }

 private:
  float lag_to_hz(float lag) const noexcept { return lag_rate_hz_ / lag; }
  std::size_t pick_lag() const noexcept;
  std::size_t local_minimum_near(double lag) const noexcept;
  std::size_t deepest_dip_near(double lag) const noexcept;
  double coarse_lag(std::size_t lag) const noexcept;
  SieveEvidence sieve_for(std::size_t long_lag, int m) const noexcept;
  bool sieve_prefers_long(const SieveEvidence& evidence, float contrast) const noexcept;
  std::size_t prefer_submultiple(std::size_t lag) const noexcept;
  std::size_t prefer_multiple(std::size_t lag) const noexcept;
  std::size_t correct_octave(std::size_t lag) const noexcept;
  float refine_lag(std::size_t lag) const noexcept;
  void normalized_autocorr_at(const double (&lags)[3], double (&rho)[3]) const noexcept;
  double window_autocorr_at(double lag) const noexcept;

  PitchConfig config_;
  float lag_rate_hz_;            // sample rate of the autocorrelation lags
  std::size_t band_bins_;        // spectrum bins fed to the inverse FFT
  std::size_t min_lag_;
  std::size_t max_lag_;
  std::size_t memory_hops_;
  dsp::RealFft inverse_fft_;
  HarmonicSieve sieve_;
  std::vector<float> band_weight_;                 // low-pass taper over band bins
  std::vector<std::complex<float>> band_spectrum_; // inverse FFT input
  std::vector<float> autocorr_;                    // inverse FFT output
  std::vector<float> inverse_window_autocorr_;     // 1 / window autocorrelation per lag
  std::vector<double> window_autocorr_;            // at every lag of the full-rate frame
  double decimation_ = 1.0;                        // frame samples per autocorrelation lag
  std::vector<float> cmnd_;                        // YIN d'(tau) for tau <= max_lag + 1
  std::vector<float> normalized_autocorr_;         // rho(tau)
  float recent_f0_hz_ = 0.0f;
  std::size_t hops_since_voiced_ = 0;
};

}  // namespace tw::features
