#pragma once
// The whole per-hop feature set for one speaker's stream at the analysis rate.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/frame_assembler.h"
#include "dsp/frame_batch.h"
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

/// Whether a hop's pitch is searched: above the VAD's absolute floor, and
/// vad.pitch_search_snr_db over the noise floor, or with the detector in speech
/// after the previous hop, or right after a voiced hop (the tracker's own
/// causal choice). Elsewhere no voice can be speech; see
/// VoiceActivityConfig::pitch_search_snr_db. Shared with the benchmark's stage
/// harness, which must gate as the pipeline does.
inline bool pitch_search_wanted(const VoiceActivityConfig& vad, const VoiceActivityMeasure& activity,
                                bool vad_active, bool last_hop_voiced) noexcept {
  return activity.band_db >= vad.min_level_dbfs &&
         (activity.snr_db >= vad.pitch_search_snr_db || vad_active || last_hop_voiced);
}

/// Framer, one window + FFT per hop (four hops per transform), and every extractor
/// reading that frame.
/// One instance per speaker stream, one thread. Input must be at
/// dsp::kAnalysisRateHz; blocks may have any size. A hop's features are given
/// out latency_hops() hops after its frame, when its pitch has been decided
/// (PitchTracker); flush() gives out the rest at the end of a stream.
class FeatureExtractor {
 public:
  /// Allocates everything. Throws std::invalid_argument naming a bad config field.
  explicit FeatureExtractor(const FeatureConfig& config = {});
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor(FeatureExtractor&&) noexcept = default;

  /// Feeds samples; calls on_hop(const HopFeatures&) for every completed hop.
  /// The block's frames are transformed together, four at a time (dsp::FrameBatch).
  /// Real-time safe: no allocation, no locks, no I/O.
  template <class OnHop>
  void process(std::span<const float> block, OnHop&& on_hop) noexcept {
    dsp::FrameBatch& batch = dsp::FrameBatch::this_thread(analyzer_.frame_samples());
    batch.clear();
    framer_.push(block, [&](std::span<const float> frame, std::int64_t hop_index) {
      if (batch.full()) {
        analyze_gathered(batch, 0, on_hop);
        batch.clear();
      }
      batch.add(0, frame, hop_index);
    });
    analyze_gathered(batch, 0, on_hop);
  }

  /// The two halves of process(), for a caller that batches several streams' frames
  /// (pipeline::CallAnalyzer: both speakers' in one batch). gather() frames a block
  /// into `batch` as stream `stream`; the batch must have room for its frames (one a
  /// hop, plus one). analyze_gathered() computes the batch's spectra not yet computed,
  /// then analyses this stream's frames in it, in order, calling on_hop(const
  /// HopFeatures&) for every completed hop. Real-time safe.
  void gather(std::span<const float> block, dsp::FrameBatch& batch, int stream) noexcept {
    framer_.push(block, [&](std::span<const float> frame, std::int64_t hop_index) {
      batch.add(stream, frame, hop_index);
    });
  }
  template <class OnHop>
  void analyze_gathered(dsp::FrameBatch& batch, int stream, OnHop&& on_hop) noexcept {
    batch.analyze(analyzer_, framer_.hop_samples());
    BatchAutocorrelations autocorrelations{batch, stream};
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch.stream(i) != stream) continue;
      if (const HopFeatures* h = analyze(batch.frame(i), autocorrelations, i)) on_hop(*h);
    }
  }

  /// At the end of a stream: calls on_hop(const HopFeatures&) for the hops
  /// still waiting for their pitch, deciding it with the hops there are.
  /// Afterwards the extractor continues as if those hops had been given out
  /// normally. Real-time safe.
  template <class OnHop>
  void flush(OnHop&& on_hop) noexcept {
    PitchEstimate estimate;
    while (pitch_.flush(estimate)) on_hop(complete(estimate));
  }

  /// Skips `hops` hops of silence in constant time (dsp::FrameAssembler::skip_hops):
  /// they are not analysed and give no features; the hops after them carry their
  /// stream-time indices. The detectors' adaptive state (noise floor, pitch path)
  /// is left as the silence before left it: a paused stretch is not evidence.
  /// Call after at least a frame of silence, at a hop boundary. Real-time safe.
  void skip_hops(std::int64_t hops) noexcept { framer_.skip_hops(hops); }
  bool at_hop_boundary() const noexcept { return framer_.at_hop_boundary(); }

  /// Hops between a hop's frame and its features (the pitch decision latency).
  std::size_t latency_hops() const noexcept { return pitch_.latency_hops(); }

  /// Behaves exactly like a fresh instance afterwards; keeps its buffers.
  void reset() noexcept;

  const FeatureConfig& config() const noexcept { return config_; }
  /// Samples consumed since construction or reset().
  std::int64_t samples_consumed() const noexcept { return framer_.samples_consumed(); }

 private:
  // The pitch search's band autocorrelations of one stream's frames in a batch,
  // made when a hop's search first asks: that frame's and the stream's next ones in
  // the batch, up to four per inverse transform (a searched hop is mostly followed by
  // searched hops; a gated-out stretch asks for none).
  struct BatchAutocorrelations {
    const dsp::FrameBatch& batch;
    int stream;
    std::uint32_t made = 0;  // bit i: frame i's is made
  };
  static_assert(dsp::FrameBatch::kCapacity <= 32);
  std::span<const float> autocorrelation(BatchAutocorrelations& a, std::size_t i) noexcept;
  // Analyses frame i of a batch; returns the hop whose features are now complete, if any.
  const HopFeatures* analyze(const dsp::AnalysisFrame& frame, BatchAutocorrelations& autocorrelations,
                             std::size_t i) noexcept;
  // Adds the pitch to the oldest waiting hop and returns it.
  const HopFeatures& complete(const PitchEstimate& estimate) noexcept;

  FeatureConfig config_;
  dsp::FrameAssembler framer_;
  dsp::SpectrumAnalyzer analyzer_;
  LoudnessMeter loudness_;
  VocalEffortAnalyzer effort_;
  VoiceActivityDetector vad_;
  PitchTracker pitch_;
  SyllableDetector syllables_;
  // Hops waiting for their pitch: a ring of latency_hops() + 1, by hop count.
  std::vector<HopFeatures> hops_;
  std::size_t analysed_ = 0;  // hops analysed since construction or reset
  std::size_t completed_ = 0; // of them given out
};

}  // namespace tw::features
