#pragma once
// Fundamental frequency and voicing from the shared frame spectrum (FFT-based YIN).

#include <array>
#include <complex>
#include <cstddef>
#include <span>
#include <vector>

#include "dsp/real_fft4.h"
#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"
#include "dsp/thread_scratch.h"
#include "features/harmonic_sieve.h"
#include "features/pitch_path.h"

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
  /// Subharmonic check: prefer a half or a third of the chosen lag when its
  /// aperiodicity is at most this much worse (and below voicing_threshold),
  /// unless the harmonic sieve finds the longer period's own partials.
  float submultiple_tolerance = 0.3f;
  /// Harmonic sieve, deciding between a period and its double or triple: the
  /// longer period wins when the partials only it has stand, by the median
  /// over them, at least this far above the spectrum midway to their
  /// neighbouring harmonics (3.5 dB: a peak, not the leakage between partials) ...
  float sieve_contrast_db = 3.5f;
  /// ... and no further than this below the partials the two periods share on
  /// either side of them (median over the partials). Weaker subharmonics are
  /// period doubling in the voice, not a missing fundamental's harmonic series.
  float sieve_level_db = -16.5f;
  /// Temporal continuity: a hop's period candidates are the lag it chose
  /// alone (YIN and the sieve) and its other dips below
  /// continue_voicing_threshold; the pitch follows the cheapest path through
  /// them, each step between hops costing this much per octave (Boersma
  /// 1993's octave-jump cost; Praat's default 0.35) ...
  float octave_jump_cost = 0.35f;
  /// ... on top of each candidate's local cost: 0 for the hop's own choice,
  /// this much plus any aperiodicity above the choice's for another dip.
  float overrule_cost = 0.15f;
  /// A hop's pitch is read off the path this many hops after its frame
  /// (fixed-lag smoothing: 3 hops = 30 ms of latency), so the hops after it
  /// have their say, as in a Viterbi tracker's backtrace. At most 16.
  int decision_latency_hops = 3;
  /// Voicing hysteresis: right after a voiced hop, a hop whose period lies
  /// within 20 % of it stays voiced while its aperiodicity is below this.
  float continue_voicing_threshold = 0.5f;
};

struct PitchEstimate {
  float f0_hz = 0.0f;      ///< 0 when unvoiced
  float voicing = 0.0f;    ///< 1 - aperiodicity, in [0, 1]
  float hnr_db = 0.0f;     ///< from the normalized autocorrelation at the period
  bool voiced = false;
};

/// What one call of PitchTracker::process() or skip() yields.
struct PitchOutput {
  /// This hop's periodicity (1 - the aperiodicity of its causal choice), known
  /// at once: voice activity and syllable detection read it on the same hop.
  float voicing = 0.0f;
  /// Whether `estimate` holds a decided hop: the one latency_hops() before this
  /// one (false for the first latency_hops() hops of a stream).
  bool has_estimate = false;
  PitchEstimate estimate;
};

/// Pitch tracker for one speaker stream. The autocorrelation comes from the
/// shared frame's power spectrum by one inverse FFT at half rate (the band
/// below analysis_band_hz decimated to 2 * analysis_band_hz), is normalized by
/// the window's own autocorrelation (Boersma 1993) and turned into YIN's
/// cumulative-mean-normalized difference function. Whether the period is the
/// lag YIN picks or its double or triple is decided by a harmonic sieve on the
/// frame's spectrum, so a voice whose fundamental and second harmonic a
/// telephone line removed is not tracked an octave or a twelfth high. What a
/// single frame still gets wrong, the path through the candidates of
/// neighbouring hops puts right; so a hop's pitch is given out
/// latency_hops() hops after its frame.
class PitchTracker {
 public:
  /// Allocates everything. Throws std::invalid_argument naming the bad field.
  PitchTracker(const PitchConfig& config, const dsp::SpectrumAnalyzer& analyzer);
  PitchTracker(const PitchTracker&) = delete;
  PitchTracker(PitchTracker&&) noexcept = default;

  /// Analyses the next hop; yields its voicing and the estimate of the hop
  /// latency_hops() before it. Real-time safe: no allocation, no locks, no I/O,
  /// never throws.
  PitchOutput process(const dsp::AnalysisFrame& frame) noexcept;
  /// As process(frame), with the frame's band autocorrelation already made by
  /// autocorrelate() (frames that can wait for each other share its transforms).
  PitchOutput process(const dsp::AnalysisFrame& frame, std::span<const float> autocorr) noexcept;
  /// The band-limited autocorrelations (autocorr_size() values each) of up to
  /// dsp::RealFft4::kLanes frames' power spectra, in one inverse transform: what
  /// process() searches for the period. Each is the one its frame gets alone.
  /// Real-time safe.
  void autocorrelate(std::span<const float* const> powers, std::span<float* const> autocorrs) const noexcept;
  std::size_t autocorr_size() const noexcept { return inverse_fft_.size(); }
  /// The next hop, unvoiced without analysis (a frame the caller gated out as
  /// silence); otherwise as process(). Real-time safe.
  PitchOutput skip() noexcept;
  /// At the end of a stream: the oldest hop not yet estimated, decided with the
  /// hops there are. Returns false when every hop has been. Real-time safe.
  bool flush(PitchEstimate& estimate) noexcept;
  /// Behaves exactly like a fresh instance afterwards; keeps its buffers.
  void reset() noexcept;

  const PitchConfig& config() const noexcept { return config_; }
  /// Whether the last hop analysed (or skipped) was voiced by its causal choice.
  bool last_hop_voiced() const noexcept { return records_[newest_].voiced; }
  /// Hops between a hop's frame and its estimate (config decision_latency_hops).
  std::size_t latency_hops() const noexcept { return path_.latency_hops(); }

 private:
  // What a hop leaves behind until its pitch is decided.
  struct HopRecord {
    bool voiced = false;
    float voicing = 0.0f;
    float energy = 0.0f;  // autocorrelation at lag 0
    std::size_t count = 0;
    std::array<float, PitchPath::kMaxCandidates> lag{};  // coarse lag of each candidate (parabola)
    std::array<float, PitchPath::kMaxCandidates> rho{};  // normalized autocorrelation there
  };

  float lag_to_hz(float lag) const noexcept { return lag_rate_hz_ / lag; }
  PitchOutput finish_hop(bool voiced, float voicing) noexcept;
  PitchEstimate estimate_at(std::size_t age) const noexcept;
  std::span<float> record_power(std::size_t slot) noexcept;
  std::span<const float> record_power(std::size_t slot) const noexcept;
  std::size_t slot_at(std::size_t age) const noexcept { return (newest_ + records_.size() - age) % records_.size(); }
  std::size_t pick_lag() const noexcept;
  std::size_t local_minimum_near(double lag) const noexcept;
  std::size_t deepest_dip_near(double lag) const noexcept;
  double coarse_lag(std::size_t lag) const noexcept;
  SieveEvidence sieve_for(std::size_t long_lag, int m) noexcept;
  bool sieve_prefers_long(const SieveEvidence& evidence, float contrast_db) const noexcept;
  std::size_t prefer_submultiple(std::size_t lag) noexcept;
  std::size_t prefer_multiple(std::size_t lag) noexcept;
  std::size_t collect_candidates(std::size_t frame_choice, HopRecord& record) noexcept;
  float refine_lag(float coarse, std::span<const float> power, float energy) const noexcept;
  void normalized_autocorr_at(const double (&lags)[3], std::span<const float> power, float energy,
                              double (&rho)[3]) const noexcept;
  double window_autocorr_at(double lag) const noexcept;

  PitchConfig config_;
  float lag_rate_hz_;            // sample rate of the autocorrelation lags
  std::size_t band_bins_;        // spectrum bins fed to the inverse FFT
  std::size_t min_lag_;
  std::size_t max_lag_;
  dsp::RealFft4 inverse_fft_;
  HarmonicSieve sieve_;
  const dsp::AnalysisFrame* sieve_frame_ = nullptr;  // this hop's frame, loaded into the sieve on first use
  PitchPath path_;
  std::array<PitchCandidate, PitchPath::kMaxCandidates> candidates_{};
  std::array<std::size_t, PitchPath::kMaxCandidates> candidate_lags_{};
  // Tables that depend only on the configuration, shared by every stream built with it.
  dsp::SharedTable<float> log2_lag_;               // log2 of every integer lag
  dsp::SharedTable<float> band_weight_;            // low-pass taper over band bins
  dsp::SharedTable<float> inverse_window_autocorr_;  // 1 / window autocorrelation per lag
  dsp::SharedTable<double> window_autocorr_;         // at every lag of the full-rate frame
  double decimation_ = 1.0;                        // frame samples per autocorrelation lag
  // One hop's working arrays: the running thread's scratch (dsp/thread_scratch.h),
  // bound at the start of process() and read only within it.
  struct BandSpectrumUse;
  struct AutocorrUse;
  struct LagsUse;
  struct WeightedUse;
  struct CmndUse;
  struct NormalizedAutocorrUse;
  using BandSpectrum = dsp::ThreadScratch<dsp::Lanes4, BandSpectrumUse>;
  using Autocorr = dsp::ThreadScratch<float, AutocorrUse>;
  using Lags = dsp::ThreadScratch<dsp::Lanes4, LagsUse>;
  using Weighted = dsp::ThreadScratch<dsp::Lanes4, WeightedUse>;
  using Cmnd = dsp::ThreadScratch<float, CmndUse>;
  using NormalizedAutocorr = dsp::ThreadScratch<float, NormalizedAutocorrUse>;
  std::span<const float> autocorr_;                // the hop's band autocorrelation (autocorrelate)
  std::span<float> cmnd_;                          // YIN d'(tau) for tau <= max_lag + 1
  std::span<float> normalized_autocorr_;           // rho(tau)
  // The last latency_hops() + 1 hops (a ring, newest_ the latest), with the
  // weighted band power of each (band_bins_ + 1 values a hop) for refinement.
  std::vector<HopRecord> records_;
  std::vector<float> record_power_;
  std::size_t newest_ = 0;
  std::size_t undecided_ = 0;  // hops analysed whose estimate has not been given out
  float recent_f0_hz_ = 0.0f;  // the previous hop's pitch (causal choice), 0 if unvoiced
};

}  // namespace tw::features
