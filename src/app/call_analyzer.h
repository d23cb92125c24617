#pragma once
// The per-call analyzer: one feature pipeline per speaker channel.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "features/feature_extractor.h"
#include "features/speaker_role.h"
#include "features/speaker_statistics.h"
#include "features/window_summary.h"

namespace tw::app {

/// Receives what the analyzer produces. The one virtual edge between analysis
/// and output: batch writers, the live alert path and the benchmark implement it.
class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  /// Per-hop features are only delivered when this returns true.
  virtual bool wants_hops() const noexcept { return false; }
  virtual void on_hop(features::SpeakerRole, const features::HopFeatures&) {}
  /// Once a second per speaker: the sliding-window summary.
  virtual void on_window(features::SpeakerRole, const features::WindowSummary&) {}
};

struct AnalyzerConfig {
  features::FeatureConfig features;
  features::SummaryConfig summary;
};

/// Whole-call results of one speaker.
struct SpeakerReport {
  features::SpeakerRole role = features::SpeakerRole::caller;
  int channel = 0;
  features::SpeakerTotals totals;
  /// Input samples at or above 0.999 of full scale.
  std::int64_t clipped_samples = 0;
};

/// Analyses an interleaved multi-channel stream at the analysis rate; channel c
/// belongs to roles[c]. One instance per call, one thread.
class CallAnalyzer {
 public:
  /// Allocates every pipeline. Throws std::invalid_argument if roles is empty,
  /// longer than two, or names a role twice, or for a bad config field.
  CallAnalyzer(const AnalyzerConfig& config, std::vector<features::SpeakerRole> roles);

  std::size_t channels() const noexcept { return speakers_.size(); }

  /// Feeds interleaved frames at dsp::kAnalysisRateHz. Real-time safe apart from
  /// whatever the sink does.
  void process(std::span<const float> interleaved, FeatureSink& sink);
  /// At the end of the stream: delivers the hops still waiting for their pitch
  /// decision (features::FeatureExtractor::latency_hops(), 30 ms) as process()
  /// would have. Real-time safe apart from whatever the sink does.
  void finish(FeatureSink& sink);

  /// Results so far, per channel.
  std::vector<SpeakerReport> reports() const;
  /// Frames (samples per channel) consumed so far.
  std::int64_t frames_consumed() const noexcept { return frames_consumed_; }
  void reset() noexcept;

 private:
  struct Speaker {
    features::SpeakerRole role;
    features::FeatureExtractor extractor;
    features::WindowSummarizer summarizer;
    features::SpeakerStatistics statistics;
    std::vector<float> samples;  // de-interleaved block
    std::int64_t clipped = 0;
  };
  static void deliver(Speaker& speaker, const features::HopFeatures& hop, bool hops_wanted, FeatureSink& sink);

  std::vector<Speaker> speakers_;
  std::int64_t frames_consumed_ = 0;
};

}  // namespace tw::app
