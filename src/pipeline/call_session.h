#pragma once
// One call's whole analysis: the feature pipeline per speaker, detection, and the
// taps that write or show what they produce. Batch, live capture, the server, the
// benchmark and the evaluation all drive this one object; they differ only in where
// the audio comes from and where the taps and the event sink write.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "dsp/stream_gap.h"
#include "detect/agitation_model.h"
#include "detect/detection_config.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_monitor.h"

namespace tw::pipeline {

struct SessionConfig {
  AnalyzerConfig analyzer;
  detect::DetectionConfig detection;
};

/// analyzer + monitor + taps for one call. One instance per call, owned by one thread.
class CallSession {
 public:
  /// `roles` in channel order (one or two). The model is shared read-only and must
  /// outlive the session, as must `events`. Throws std::invalid_argument for bad
  /// roles or config.
  CallSession(std::string call_id, const SessionConfig& config, const detect::AgitationModel& model,
              std::vector<features::SpeakerRole> roles, alerts::EventSink& events);
  CallSession(const CallSession&) = delete;
  CallSession& operator=(const CallSession&) = delete;

  /// Adds an output tap (window table, frame table, live view). Taps see every hop
  /// (if they want hops) and window after detection has seen it. Add before process().
  void add_tap(FeatureSink& tap);

  /// Analyses interleaved frames at dsp::kAnalysisRateHz, channels() samples a frame.
  /// Any block size gives the same result. Allocation-free after warm-up apart from
  /// what detection records per second and per event (the call's timeline).
  void process(std::span<const float> interleaved);

  /// A stretch of `frames` analysis-rate frames with no audio: `kind` says whether
  /// the platform declared it (a pause or hold, a discarded stretch) or it was lost.
  /// Stream time goes on exactly (duration_s() includes it); the analysis sees
  /// silence, in constant time for any length (CallAnalyzer::skip). A declared gap,
  /// and a lost one longer than CallAnalyzer::kDirectGapFrames, is a gap for
  /// detection too: no dead air or turn inside it, and it is on the timeline
  /// (CallTimeline::gaps). A shorter loss is plain silence, as it always was.
  void skip(std::int64_t frames, dsp::GapKind kind);

  /// A live call's parties coming and going (a recording's are there throughout).
  /// `role`'s channel carries no party yet: analysed as the silence it is, it gives
  /// nothing until party_joined(). Before the first process().
  void set_absent(features::SpeakerRole role);
  /// `role` joined now (its audio starts at the current frame).
  void party_joined(features::SpeakerRole role);
  /// `role` left at `at_frame` (analysis-rate frames from the start; not before what
  /// has been analysed): a party_left event there, their episodes closed, no dead air.
  void party_left(features::SpeakerRole role, std::int64_t at_frame);

  /// Events take their sequence numbers from `source` (CallMonitor::set_sequence_source).
  void set_sequence_source(std::atomic<std::uint64_t>* source) noexcept { monitor_.set_sequence_source(source); }

  /// Ends the call at `end_s` (normally duration_s()): closes open episodes.
  void finish(double end_s);
  void finish() { finish(duration_s()); }

  /// Forgets the call: afterwards behaves like a fresh session (taps are kept, and
  /// are the caller's to rewind).
  void reset();

  const std::string& call_id() const noexcept { return call_id_; }
  std::size_t channels() const noexcept { return analyzer_.channels(); }
  /// The identical-channel check of a two-channel call (see CallAnalyzer).
  const ChannelCheck& channel_check() const noexcept { return analyzer_.channel_check(); }
  const std::vector<features::SpeakerRole>& roles() const noexcept { return roles_; }
  /// Frames (samples per channel) analysed so far, and their duration.
  std::int64_t frames() const noexcept { return analyzer_.frames_consumed(); }
  /// CallAnalyzer::next_summary_frame(): when detection next judges a second.
  std::int64_t next_summary_frame() const noexcept { return analyzer_.next_summary_frame(); }
  /// CallAnalyzer::summary_lookahead_frames(): audio past a second that judging it needs.
  std::int64_t summary_lookahead_frames() const noexcept { return analyzer_.summary_lookahead_frames(); }
  double duration_s() const noexcept;
  std::vector<SpeakerReport> reports() const { return analyzer_.reports(); }
  const CallTimeline& timeline() const noexcept { return monitor_.timeline(); }
  detect::Stage stage() const noexcept { return monitor_.stage(); }

 private:
  // Hands what the analyzer produces to detection first, then to the taps.
  class Dispatch final : public FeatureSink {
   public:
    explicit Dispatch(CallSession& session) : session_(session) {}
    bool wants_hops() const noexcept override { return true; }
    void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override;
    void on_window(features::SpeakerRole role, const features::WindowSummary& window) override;
    void on_channels_merged(features::SpeakerRole kept, features::SpeakerRole dropped,
                            const ChannelCheck& check) override;

   private:
    CallSession& session_;
  };

  // Hands the windows of each second to the taps once detection has judged it.
  void deliver_windows(bool judged);

  std::string call_id_;
  std::vector<features::SpeakerRole> roles_;
  CallAnalyzer analyzer_;
  CallMonitor monitor_;
  std::vector<FeatureSink*> taps_;
  std::vector<FeatureSink*> hop_taps_;
  Dispatch dispatch_{*this};
  // Windows waiting for their second to be judged, caller [0] and agent [1].
  std::array<features::WindowSummary, 2> pending_windows_{};
  std::array<bool, 2> has_pending_{};
  std::int64_t seconds_delivered_ = 0;
};

}  // namespace tw::pipeline
