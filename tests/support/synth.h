#pragma once
// Synthetic test signals of known truth.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tw::test {

/// Sine of amplitude `amplitude` (1 = full scale).
std::vector<float> sine(double frequency_hz, double amplitude, double seconds, int rate_hz = 8000, double phase = 0.0);

/// Sum of harmonics 1..n (up to below rate/2) of f0 with 1/k amplitude roll-off,
/// scaled to the given RMS level (dB re full-scale sine). Optional slow vibrato
/// (depth in semitones, rate in Hz); true_f0 receives the instantaneous F0 per sample.
std::vector<float> harmonic_complex(double f0_hz, double level_dbfs, double seconds, int rate_hz = 8000,
                                    double vibrato_st = 0.0, double vibrato_hz = 0.0,
                                    std::vector<double>* true_f0 = nullptr);

/// Sum of harmonics 1..n (up to below rate/2) of f0 in cosine phase (a pulse
/// train, as the glottal flow's closures), harmonic k at amplitude
/// k^(tilt_db_per_octave / 6.02), scaled to the given RMS level (dB re
/// full-scale sine). Optional slow vibrato (depth in semitones, rate in Hz).
std::vector<float> tilted_harmonic_complex(double f0_hz, double tilt_db_per_octave, double level_dbfs,
                                           double seconds, int rate_hz = 8000, double vibrato_st = 0.0,
                                           double vibrato_hz = 0.0);

/// A vocal-tract formant: a two-pole resonance at `frequency_hz` with
/// -3 dB bandwidth `bandwidth_hz` (Klatt 1980, eq. 3), unit gain at DC, in place.
void formant(std::vector<float>& x, double frequency_hz, double bandwidth_hz, int rate_hz = 8000);

/// Fourth-order Butterworth band-pass (two RBJ biquads each side), in place.
void band_pass(std::vector<float>& x, double low_hz, double high_hz, int rate_hz = 8000);

/// Adds white Gaussian noise at the given signal-to-noise ratio (by RMS), seeded.
void add_white_noise(std::vector<float>& x, double snr_db, std::uint32_t seed = 1);

/// RMS level in dB re full-scale sine.
double level_dbfs(const std::vector<float>& x);

/// Scales the signal to an RMS level in dB re full-scale sine.
void set_level_dbfs(std::vector<float>& x, double level_dbfs);

}  // namespace tw::test
