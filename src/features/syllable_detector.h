#pragma once
// Syllable nuclei from the intensity contour, without speech recognition.

#include <cstdint>
#include <vector>

#include "dsp/spectrum_analyzer.h"

namespace tw::features {

struct SyllableConfig {
  float band_low_hz = 250.0f;   ///< vowel-energy band the intensity contour is read in
  float band_high_hz = 2500.0f;
  /// A nucleus is an intensity peak with a dip of at least this much on both
  /// sides (de Jong & Wempe 2009 use 2 dB).
  float min_dip_db = 2.0f;
  /// ... that stands this far above the noise floor,
  float min_snr_db = 8.0f;
  /// ... no more than this far below the speaker's recent loud peaks,
  float max_below_peak_db = 25.0f;
  /// ... and is voiced (pitch voicing at or next to the peak at least this).
  float min_voicing = 0.5f;
  /// Two nuclei are at least this far apart (no syllable is shorter).
  float min_separation_s = 0.06f;
};

struct SyllableEvent {
  bool detected = false;
  std::int32_t lag_hops = 0;  ///< how many hops ago the nucleus peaked
};

/// Streaming peak picker over the intensity contour. A peak is confirmed once
/// the contour has fallen min_dip_db below it, so detections arrive a little
/// after the nucleus; the lag is reported.
class SyllableDetector {
 public:
  /// Throws std::invalid_argument naming the bad field.
  SyllableDetector(const SyllableConfig& config, const dsp::SpectrumAnalyzer& analyzer);
  /// Real-time safe. noise_floor_db comes from the VAD, voicing from the pitch tracker.
  SyllableEvent process(const dsp::AnalysisFrame& frame, float noise_floor_db, float voicing) noexcept;
  void reset() noexcept;
  const SyllableConfig& config() const noexcept { return config_; }

 private:
  SyllableConfig config_;
  std::vector<float> band_weights_;
  std::int32_t min_separation_hops_;
  float peak_release_db_per_hop_;
  // State.
  std::int64_t hop_ = 0;
  float valley_db_ = 0.0f;        // lowest intensity since the last nucleus or candidate
  bool has_candidate_ = false;
  float candidate_db_ = 0.0f;
  std::int64_t candidate_hop_ = 0;
  float candidate_voicing_ = 0.0f;
  float candidate_snr_db_ = 0.0f;
  float previous_voicing_[2] = {0.0f, 0.0f};
  float recent_peak_db_ = -200.0f;  // decaying maximum of confirmed nuclei
  std::int64_t last_nucleus_hop_ = -1000000;
  bool started_ = false;
};

}  // namespace tw::features
