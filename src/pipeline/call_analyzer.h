#pragma once
// The per-call analyzer: one feature pipeline per speaker channel.

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "features/crosstalk_gate.h"
#include "features/feature_extractor.h"
#include "features/speaker_role.h"
#include "features/speaker_statistics.h"
#include "features/window_summary.h"
#include "pipeline/channel_comparator.h"

namespace tw::pipeline {

/// What detection made of one speaker's second, for taps that show it beside the
/// window's features.
struct WindowVerdict {
  float agitation_score = NAN;  ///< the window's agitation score; NaN when it was not scored
  float agitation_level = NAN;  ///< the smoothed agitation level after it
  std::string_view stage;       ///< the call's de-escalation stage after this second; empty if unknown
};

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
  /// Taps of a CallSession get the window once detection has judged its second,
  /// with the verdict. By default it goes to on_window.
  virtual void on_judged_window(features::SpeakerRole role, const features::WindowSummary& window,
                                const WindowVerdict& /*verdict*/) {
    on_window(role, window);
  }
  /// The two channels turned out to carry one signal: from check.decided_at_s on,
  /// only `kept` is analysed (one mixed speaker) and `dropped` delivers nothing more.
  virtual void on_channels_merged(features::SpeakerRole /*kept*/, features::SpeakerRole /*dropped*/,
                                  const ChannelCheck& /*check*/) {}
};

struct AnalyzerConfig {
  features::FeatureConfig features;
  features::SummaryConfig summary;
  features::CrosstalkConfig crosstalk;
  /// The role of the one mixed speaker when a two-channel call's channels turn
  /// out identical (as a mono recording's speaker).
  features::SpeakerRole merged_role = features::SpeakerRole::caller;
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
/// belongs to roles[c]. One instance per call, one thread. With two channels, it
/// checks whether they carry the same signal (first ChannelComparator::kDecisionS
/// seconds; if so the second channel is dropped and the call analysed as one
/// mixed speaker with AnalyzerConfig::merged_role), and clears the voice activity of
/// the other side's voice leaking into a channel (features::CrosstalkGate).
class CallAnalyzer {
 public:
  /// Allocates every pipeline. Throws std::invalid_argument if roles is empty,
  /// longer than two, or names a role twice, or for a bad config field.
  CallAnalyzer(const AnalyzerConfig& config, std::vector<features::SpeakerRole> roles);

  std::size_t channels() const noexcept { return speakers_.size(); }

  /// Feeds interleaved frames at dsp::kAnalysisRateHz. Real-time safe apart from
  /// whatever the sink does.
  void process(std::span<const float> interleaved, FeatureSink& sink);
  /// A gap of `frames` frames of silence (a pause, a hold, lost audio) in constant
  /// time: a short one (kDirectGapFrames or less) is analysed as the silence it is; a
  /// longer one is analysed for its first frame and the rest of its whole hops are
  /// skipped (FeatureExtractor::skip_hops), giving no hops and no windows, so a gap of
  /// an hour costs what one of a second does. frames_consumed() counts it whole.
  /// Real-time safe apart from whatever the sink does.
  void skip(std::int64_t frames, FeatureSink& sink);
  /// Gaps up to this long are analysed as silence (1 s: its cost is bounded anyway).
  static constexpr std::int64_t kDirectGapFrames = 8000;
  /// Analysis-rate frames skipped without analysis so far.
  std::int64_t skipped_frames() const noexcept { return skipped_frames_; }

  /// At the end of the stream: delivers the hops still waiting for their pitch
  /// decision (features::FeatureExtractor::latency_hops(), 30 ms) as process()
  /// would have. Real-time safe apart from whatever the sink does.
  void finish(FeatureSink& sink);

  /// A channel whose party is not on the call (yet): it is analysed as the silence
  /// it carries, in step with the other, but nothing of it is delivered or reported
  /// until set_present(channel, true). Not real-time: call between blocks.
  void set_present(std::size_t channel, bool present) noexcept;
  bool present(std::size_t channel) const noexcept { return present_[channel]; }

  /// Results so far, per analysed channel (the first only, once merged); a channel
  /// whose party never joined is left out.
  std::vector<SpeakerReport> reports() const;
  /// The identical-channel check (undecided for a mono call).
  const ChannelCheck& channel_check() const noexcept { return comparator_.check(); }
  /// True once the channels were found identical and merged.
  bool merged() const noexcept { return merged_; }
  /// Hops whose voice activity the crosstalk gate cleared, per channel.
  std::int64_t crosstalk_hops(std::size_t channel) const noexcept { return crosstalk_.cleared(channel); }
  /// Frames (samples per channel) consumed so far.
  std::int64_t frames_consumed() const noexcept { return frames_consumed_; }
  /// The count of consumed frames at which the next once-a-second window summary is
  /// delivered (to on_window, and so to detection's per-second rules): the summary
  /// ending at hop n comes once hop n's frame is whole (half a frame past its centre)
  /// and its pitch decided (latency_hops() later). At 8 kHz that is 40 ms after the
  /// second ends. Summaries keep to this grid through skipped gaps (their hops count).
  /// A live worker lets a call's audio gather between these moments (server::WorkerPool).
  std::int64_t next_summary_frame() const noexcept;
  /// Frames of audio past a second's end that its summary needs (the last hop's frame
  /// whole, its pitch decided): 320 at 8 kHz, 40 ms. A decision made once a second is
  /// made this long after the second it judges, whatever the server's load
  /// (benchmarks/serve_load counts alert latency from the audio that completes it).
  std::int64_t summary_lookahead_frames() const noexcept;
  void reset() noexcept;

 private:
  struct Speaker {
    features::SpeakerRole role;
    features::FeatureExtractor extractor;
    features::WindowSummarizer summarizer;
    features::SpeakerStatistics statistics;
    // Scratch of the running thread (bind_scratch), valid within one process() or finish().
    std::span<float> samples;                // de-interleaved block
    std::span<features::HopFeatures> hops;   // the block's hops, until both channels have them
    std::size_t hop_count = 0;
    std::int64_t clipped = 0;
    std::int64_t next_hop = 0;  // the hop index expected next (a larger one follows skipped hops)
  };
  void deliver(Speaker& speaker, const features::HopFeatures& hop, FeatureSink& sink, bool hops_wanted);
  void deliver_block(FeatureSink& sink, bool hops_wanted);
  void bind_scratch() noexcept;

  std::vector<features::SpeakerRole> roles_;
  std::vector<Speaker> speakers_;
  ChannelComparator comparator_;
  features::CrosstalkGate crosstalk_;
  std::int64_t merge_hop_;  // first hop index a merge applies to
  features::SpeakerRole merged_role_;
  bool merged_ = false;
  std::int64_t frames_consumed_ = 0;
  std::int64_t skipped_frames_ = 0;
  std::array<bool, 2> present_{true, true};
  std::array<bool, 2> ever_present_{true, true};
};

}  // namespace tw::pipeline
