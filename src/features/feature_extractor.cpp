#include "features/feature_extractor.h"

#include <cmath>

namespace tw::features {

FeatureExtractor::FeatureExtractor(const FeatureConfig& config)
    : config_(config),
      framer_(dsp::kFrameSize40ms8kHz, dsp::kHopSize10ms8kHz),
      analyzer_(dsp::kFrameSize40ms8kHz, dsp::kAnalysisRateHz),
      loudness_(analyzer_),
      effort_(analyzer_),
      vad_(config.vad, analyzer_),
      pitch_(config.pitch, analyzer_),
      syllables_(config.syllable, analyzer_) {}

void FeatureExtractor::reset() noexcept {
  framer_.reset();
  vad_.reset();
  pitch_.reset();
  syllables_.reset();
  hop_ = {};
}

const HopFeatures& FeatureExtractor::analyze(const dsp::AnalysisFrame& frame) noexcept {
  HopFeatures& h = hop_;
  h.hop_index = frame.hop_index;
  h.time_s = frame.centre_time_s;

  const LoudnessEstimate loudness = loudness_.process(frame);
  h.level_dbfs = loudness.level_dbfs;
  h.loudness_db = loudness.loudness_db;

  const VocalEffortEstimate effort = effort_.process(frame);
  h.alpha_ratio_db = effort.alpha_ratio_db;
  h.centroid_hz = effort.centroid_hz;

  const VoiceActivityMeasure activity = vad_.measure(frame);
  h.voice_band_db = activity.band_db;
  h.noise_floor_db = activity.noise_floor_db;

  // Frames below the VAD's absolute floor hold no voice; skip the pitch search.
  const PitchEstimate pitch =
      activity.band_db >= config_.vad.min_level_dbfs ? pitch_.process(frame) : pitch_.skip();
  h.f0_hz = pitch.f0_hz;
  h.voiced = pitch.voiced;
  h.voicing = pitch.voicing;
  h.hnr_db = pitch.hnr_db;
  h.f0_semitones = pitch.voiced ? 12.0f * std::log2(pitch.f0_hz / 27.5f) : 0.0f;

  h.vad = vad_.decide(pitch.voicing);

  const SyllableEvent syllable = syllables_.process(frame, pitch.voicing);
  h.syllable = syllable.detected;
  h.syllable_lag_hops = syllable.lag_hops;
  return h;
}

}  // namespace tw::features
