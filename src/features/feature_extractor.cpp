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
      syllables_(config.syllable, analyzer_),
      hops_(pitch_.latency_hops() + 1) {}

void FeatureExtractor::reset() noexcept {
  framer_.reset();
  vad_.reset();
  pitch_.reset();
  syllables_.reset();
  for (HopFeatures& h : hops_) h = {};
  analysed_ = 0;
  completed_ = 0;
}

const HopFeatures* FeatureExtractor::analyze(const dsp::AnalysisFrame& frame) noexcept {
  HopFeatures& h = hops_[analysed_++ % hops_.size()];
  h = {};
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

  // The pitch search runs only where a voice can be (pitch_search_wanted).
  // The hop's voicing is known at once; its pitch (and that of the hop
  // latency_hops() back, which the output completes) after the path has seen
  // the hops that follow.
  const PitchOutput pitch = pitch_search_wanted(config_.vad, activity, vad_.active(), pitch_.last_hop_voiced())
                                ? pitch_.process(frame)
                                : pitch_.skip();
  h.voicing = pitch.voicing;
  h.vad = vad_.decide(pitch.voicing);

  const SyllableEvent syllable = syllables_.process(frame, pitch.voicing);
  h.syllable = syllable.detected;
  h.syllable_lag_hops = syllable.lag_hops;
  return pitch.has_estimate ? &complete(pitch.estimate) : nullptr;
}

const HopFeatures& FeatureExtractor::complete(const PitchEstimate& estimate) noexcept {
  HopFeatures& h = hops_[completed_++ % hops_.size()];
  h.f0_hz = estimate.f0_hz;
  h.voiced = estimate.voiced;
  h.hnr_db = estimate.hnr_db;
  h.f0_semitones = estimate.voiced ? 12.0f * std::log2(estimate.f0_hz / 27.5f) : 0.0f;
  return h;
}

}  // namespace tw::features
