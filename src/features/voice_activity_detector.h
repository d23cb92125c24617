#pragma once
// Voice activity against an adaptive noise floor.

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "dsp/shared_table.h"
#include "dsp/spectrum_analyzer.h"
#include "features/minimum_statistics.h"
#include "features/spectral_weights.h"

namespace tw::features {

struct VoiceActivityConfig {
  float band_low_hz = 250.0f;     ///< voice band watched (skips hum, rumble and DC)
  float band_high_hz = 3500.0f;
  /// Noise floor: minimum of the smoothed band level over this window (minimum
  /// statistics, Martin 2001): speech pauses let the floor be seen at least every few seconds.
  float floor_window_s = 3.0f;
  float smoothing_s = 0.03f;      ///< band-level smoothing before the minimum search
  float onset_snr_db = 9.0f;      ///< enter speech this far above the floor
  float offset_snr_db = 5.0f;     ///< stay in speech while this far above the floor
  /// A clearly periodic frame counts as speech at a smaller margin: voicing
  /// separates a voice from noise that is merely loud.
  float voiced_snr_db = 4.0f;
  float voiced_min_voicing = 0.7f;
  /// Between offset_snr_db and onset_snr_db, speech goes on only this long after
  /// a hop that was voiced (voiced_min_voicing): a voice brings a voiced nucleus
  /// every few hundred ms, an unvoiced consonant cluster lasts at most about
  /// 250 ms. A noise floor that stepped up during a turn (an AGC raising its
  /// gain, a fan switching on) stays unvoiced, and would otherwise hold the
  /// detector in speech until the floor window caught up, seconds after the turn
  /// ended.
  float offset_voiced_within_s = 0.3f;
  /// The pitch search runs only on hops above min_level_dbfs and at least this
  /// far above the noise floor, or while the detector is in speech (its hangover
  /// included), or right after a voiced hop (features::pitch_search_wanted). At
  /// most voiced_snr_db, under which voicing cannot make a hop speech, so the VAD
  /// decides as if every hop were searched, and every hop it calls speech has its
  /// pitch searched as before; 2 dB under it, so that the pitch path also sees
  /// the faint edges of voiced stretches. A listener's line noise, over half of
  /// a call's hops, is not searched (about 10 % of a serve worker's CPU).
  float pitch_search_snr_db = 2.0f;
  /// Keep speech on through short dips between words, but not through holes in
  /// the signal: a hop far below the noise floor (a zero-filled packet, a muted
  /// line, digital silence) holds no voice and never counts as speech.
  float hangover_s = 0.2f;
  float min_level_dbfs = -70.0f;  ///< below this a frame is never speech
};

struct VoiceActivityMeasure {
  float band_db;         ///< band level, dB re full-scale sine
  float noise_floor_db;  ///< the floor over the last floor_window_s, this frame included
  float snr_db;          ///< band_db - noise_floor_db
  /// Digital silence (band level below kDigitalSilenceDb): never speech, and the
  /// noise floor does not learn from it.
  bool digital_silence;
};

/// Whether `samples` hold 16 samples in a row of magnitude under 2^-20 (a hole: a
/// lost packet zero-filled, a muted stretch), which the detector keeps out of its floor.
bool holds_zero_run(std::span<const float> samples) noexcept;

/// Two-step use per hop: measure() reads the frame and updates the floor;
/// decide() combines that with the pitch tracker's voicing.
class VoiceActivityDetector {
 public:
  /// Throws std::invalid_argument naming the bad field.
  VoiceActivityDetector(const VoiceActivityConfig& config, const dsp::SpectrumAnalyzer& analyzer);
  /// Real-time safe.
  VoiceActivityMeasure measure(const dsp::AnalysisFrame& frame) noexcept;
  /// Real-time safe. Call once per hop after measure().
  bool decide(float voicing) noexcept;
  void reset() noexcept;
  /// In speech after the last decide() (its hangover included).
  bool active() const noexcept { return active_; }
  const VoiceActivityConfig& config() const noexcept { return config_; }

 private:
  VoiceActivityConfig config_;
  BandWeights band_weights_;  // shared by every stream with this band
  float smoothing_coefficient_;
  std::size_t hangover_hops_;
  std::int64_t first_floor_hop_;  // the first hop whose frame holds no zero padding
  // State.
  float smoothed_db_ = 0.0f;
  bool started_ = false;
  MinimumStatistics floor_;
  VoiceActivityMeasure last_{};
  bool active_ = false;
  std::size_t hangover_left_ = 0;
  std::size_t offset_voiced_hops_;  // offset_voiced_within_s in hops
  std::size_t since_voiced_ = 0;    // hops since the last voiced one
};

}  // namespace tw::features
