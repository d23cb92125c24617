#pragma once
// The whole per-hop feature set for one speaker's stream at the analysis rate.

#include <span>

#include "dsp/frame_assembler.h"
#include "dsp/spectrum_analyzer.h"
#include "dsp/stream_spec.h"
#include "features/hop_features.h"
#include "features/loudness_meter.h"
#include "features/pitch_tracker.h"
#include "features/syllable_detector.h"
#include "features/vocal_effort.h"
#include "features/voice_activity_detector.h"

namespace tw::features {

struct FeatureConfig {
  PitchConfig pitch;
  VoiceActivityConfig vad;
  SyllableConfig syllable;
};

/// Framer, one window + FFT per hop, and every extractor reading that frame.
/// One instance per speaker stream, one thread. Input must be at
/// dsp::kAnalysisRateHz; blocks may have any size.
class FeatureExtractor {
 public:
  /// Allocates everything. Throws std::invalid_argument naming a bad config field.
  explicit FeatureExtractor(const FeatureConfig& config = {});
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor(FeatureExtractor&&) noexcept = default;

  /// Feeds samples; calls on_hop(const HopFeatures&) for every completed hop.
  /// Real-time safe: no allocation, no locks, no I/O.
  template <class OnHop>
  void process(std::span<const float> block, OnHop&& on_hop) noexcept {
    framer_.push(block, [&](std::span<const float> frame, std::int64_t hop_index) {
      on_hop(analyze(analyzer_.analyze(frame, hop_index, framer_.hop_samples())));
    });
  }

  /// Behaves exactly like a fresh instance afterwards; keeps its buffers.
  void reset() noexcept;

  const FeatureConfig& config() const noexcept { return config_; }
  /// Samples consumed since construction or reset().
  std::int64_t samples_consumed() const noexcept { return framer_.samples_consumed(); }

 private:
  const HopFeatures& analyze(const dsp::AnalysisFrame& frame) noexcept;

  FeatureConfig config_;
  dsp::FrameAssembler framer_;
  dsp::SpectrumAnalyzer analyzer_;
  LoudnessMeter loudness_;
  VocalEffortAnalyzer effort_;
  VoiceActivityDetector vad_;
  PitchTracker pitch_;
  SyllableDetector syllables_;
  HopFeatures hop_;
};

}  // namespace tw::features
