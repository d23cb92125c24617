#pragma once
// What the feature core says about one speaker's 10 ms hop.

#include <cstdint>

namespace tw::features {

/// The feature core's hop rate: one HopFeatures every 10 ms of stream time.
inline constexpr float kHopsPerSecond = 100.0f;

/// Floor for levels of silent frames, so digital silence never yields -inf.
inline constexpr float kSilenceFloorDb = -120.0f;

/// A frame whose voice-band level lies below this is digital silence (zeros, or a
/// DC idle pattern), not a quiet line: 16-bit PCM's own quantization noise reads
/// -98 dB re a full-scale sine (6.02 x 16 + 1.76 dB below it) and G.711's idle
/// noise far more, so nothing that passed through an analog line, a 16-bit
/// converter or a telephone codec reads lower.
inline constexpr float kDigitalSilenceDb = -100.0f;

struct HopFeatures {
  std::int64_t hop_index = 0;
  /// Stream time of the analysis-frame centre, in seconds.
  double time_s = 0.0;
  /// Fundamental frequency; 0 when unvoiced.
  float f0_hz = 0.0f;
  /// F0 in semitones re 27.5 Hz (A0, the eGeMAPS reference); 0 when unvoiced.
  float f0_semitones = 0.0f;
  /// Periodicity confidence in [0, 1] (1 - the YIN aperiodicity at the chosen lag).
  float voicing = 0.0f;
  bool voiced = false;
  /// Harmonics-to-noise ratio from the normalized autocorrelation at the period; 0 when unvoiced.
  float hnr_db = 0.0f;
  /// RMS level, dB re a full-scale sine (AES17), so a sine of amplitude 0.1 reads -20.
  float level_dbfs = kSilenceFloorDb;
  /// K-weighted (ITU-R BS.1770) level on the same scale: a 1 kHz sine reads its level_dbfs.
  float loudness_db = kSilenceFloorDb;
  /// Level in the voice band the VAD watches, and its adaptive noise floor.
  float voice_band_db = kSilenceFloorDb;
  float noise_floor_db = kSilenceFloorDb;
  /// Voice activity decision.
  bool vad = false;
  /// Alpha ratio: energy 1-4 kHz over 50 Hz-1 kHz, dB (rises with vocal effort).
  float alpha_ratio_db = 0.0f;
  /// Spectral centroid over 50 Hz-4 kHz.
  float centroid_hz = 0.0f;
  /// True on the hop where a syllable nucleus is confirmed; the nucleus itself
  /// (the intensity peak) lies syllable_lag_hops earlier.
  bool syllable = false;
  std::int32_t syllable_lag_hops = 0;
};

}  // namespace tw::features
