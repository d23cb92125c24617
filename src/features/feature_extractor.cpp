#include "features/feature_extractor.h"

#include <cmath>

#include "dsp/thread_scratch.h"

namespace tw::features {
namespace {
struct BatchAutocorrUse;
using BatchAutocorr = dsp::ThreadScratch<float, BatchAutocorrUse>;  // a batch's autocorrelations
}  // namespace

FeatureExtractor::FeatureExtractor(const FeatureConfig& config)
    : config_(config),
      framer_(dsp::kFrameSize40ms8kHz, dsp::kHopSize10ms8kHz),
      analyzer_(dsp::kFrameSize40ms8kHz, dsp::kAnalysisRateHz),
      loudness_(analyzer_),
      effort_(analyzer_),
      vad_(config.vad, analyzer_),
      pitch_(config.pitch, analyzer_),
      syllables_(config.syllable, analyzer_),
      hops_(pitch_.latency_hops() + 1) {
  dsp::FrameBatch::reserve(dsp::kFrameSize40ms8kHz);
  BatchAutocorr::reserve(dsp::FrameBatch::kCapacity * pitch_.autocorr_size());
}

void FeatureExtractor::reset() noexcept {
  framer_.reset();
  vad_.reset();
  pitch_.reset();
  syllables_.reset();
  for (HopFeatures& h : hops_) h = {};
  analysed_ = 0;
  completed_ = 0;
}

std::span<const float> FeatureExtractor::autocorrelation(BatchAutocorrelations& a, std::size_t i) noexcept {
  const std::size_t size = pitch_.autocorr_size();
  const std::span<float> all = BatchAutocorr::get(dsp::FrameBatch::kCapacity * size);
  if ((a.made >> i & 1u) == 0) {
    constexpr std::size_t kLanes = dsp::RealFft4::kLanes;
    const float* powers[kLanes];
    float* autocorrs[kLanes];
    std::size_t lanes = 0;
    for (std::size_t f = i; f < a.batch.size() && lanes < kLanes; ++f) {
      if (a.batch.stream(f) != a.stream) continue;
      powers[lanes] = a.batch.frame(f).power.data();
      autocorrs[lanes] = all.data() + f * size;
      ++lanes;
      a.made |= 1u << f;
    }
    pitch_.autocorrelate(std::span<const float* const>(powers, lanes), std::span<float* const>(autocorrs, lanes));
  }
  return all.subspan(i * size, size);
}

const HopFeatures* FeatureExtractor::analyze(const dsp::AnalysisFrame& frame, BatchAutocorrelations& autocorrelations,
                                             std::size_t i) noexcept {
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
                                ? pitch_.process(frame, autocorrelation(autocorrelations, i))
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
