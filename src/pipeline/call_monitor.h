#pragma once
// Detection for one call: baselines, agitation, turn taking, agent tone and the
// de-escalation stage, turned into events with evidence. The same object runs
// behind batch analysis and live monitoring.

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_timeline.h"
#include "detect/detection_config.h"
#include "dsp/stream_gap.h"

namespace tw::pipeline {

class CallMonitor final : public FeatureSink {
 public:
  /// `roles` in channel order (one or two). The model must outlive the monitor.
  CallMonitor(std::string call_id, const detect::DetectionConfig& config, const detect::AgitationModel& model,
              const std::vector<features::SpeakerRole>& roles, alerts::EventSink& events);

  bool wants_hops() const noexcept override { return true; }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override;
  void on_window(features::SpeakerRole role, const features::WindowSummary& window) override;
  void on_channels_merged(features::SpeakerRole kept, features::SpeakerRole dropped, const ChannelCheck& check) override;

  /// Frames [from_frame, to_frame) of the stream (analysis rate) are a gap of `kind`:
  /// the hops in it do not count for turn taking (no dead air in a pause), dead air
  /// and a monologue open when it starts end there, and it goes on the timeline.
  /// Declared before the gap's hops arrive (CallSession::skip).
  void declare_gap(std::int64_t from_frame, std::int64_t to_frame, dsp::GapKind kind);

  /// `role` is not on the call yet (a live call that started without it): nothing is
  /// expected of it until party_joined(). Before the first hop.
  void set_absent(features::SpeakerRole role);
  /// `role` joined the call at `time_s` (its hops follow from the next block).
  void party_joined(features::SpeakerRole role, double time_s);
  /// `role` leaves the call at frame `at_frame` (analysis rate; at or after what has
  /// been analysed): when the hops get there, a party_left event, that party's open
  /// episodes closed as "left the call", and no dead air (one party is no conversation).
  void party_left(features::SpeakerRole role, std::int64_t at_frame);

  /// Where events' sequence numbers come from: a counter shared with whoever else
  /// numbers events of this call (a live server's acknowledgements), so every event
  /// of a call has its own. Null (the default): numbered 1, 2, ... here.
  void set_sequence_source(std::atomic<std::uint64_t>* source) noexcept { sequence_source_ = source; }

  /// End of the call: closes open episodes and intervals at `end_time_s`.
  void finish(double end_time_s);
  /// Forgets the call: afterwards behaves like a fresh monitor for the same roles.
  void reset();

  const CallTimeline& timeline() const noexcept { return timeline_; }
  detect::Stage stage() const noexcept { return stage_.stage(); }
  /// Seconds judged so far (both present channels' windows of a second seen).
  std::int64_t seconds() const noexcept { return seconds_; }
  /// A speaker's agitation and the call's stage after the latest judged second.
  WindowVerdict verdict(features::SpeakerRole role) const noexcept;

 private:
  static constexpr std::size_t kAlignHops = 4096;  // > one analysis block of hops

  std::size_t index(features::SpeakerRole role) const noexcept { return role == features::SpeakerRole::caller ? 0 : 1; }
  void on_both_hops(std::int64_t hop, bool caller_active, bool agent_active);
  void turn_events(double t, const detect::TurnEvents& e);
  void party_leaves(std::size_t r, double t);
  void gap_begins(double t);
  void on_second(double time_s, const detect::ProsodyVector* caller, const detect::ProsodyVector* agent);
  void emit(alerts::Event event);
  alerts::Event make_event(double time_s, const std::string& type, alerts::Severity severity, alerts::EventState state,
                           const std::string& speaker, double since_s) const;
  void caller_agitation_rules(double time_s);
  void agent_rules(double time_s);
  void stage_rules(double time_s);
  void listening_rule_broken(double time_s, const std::string& what, double since_s);
  std::vector<detect::Evidence> agitation_evidence(double since_s) const;

  std::string call_id_;
  std::vector<features::SpeakerRole> roles_;
  detect::DetectionConfig config_;
  alerts::EventSink& sink_;
  bool has_[2] = {false, false};
  detect::AgitationTracker caller_, agent_;
  detect::TurnTakingTracker turns_;
  detect::AgentToneRules agent_rules_;
  detect::StageTracker stage_;
  detect::EpisodeTracker caller_high_, caller_rising_;
  // Hop alignment between the two channels.
  std::array<std::array<std::int8_t, kAlignHops>, 2> vad_{};
  std::int64_t hops_seen_[2] = {0, 0};
  std::int64_t hops_done_ = 0;
  // Window alignment.
  std::array<std::optional<detect::ProsodyVector>, 2> pending_window_{};
  std::int64_t pending_end_hop_[2] = {-1, -1};
  // Intervals under construction.
  std::optional<Interval> overlap_, silence_;
  // Gaps declared and not yet passed by the hops, in hops [first, end).
  struct GapHops {
    std::int64_t first = 0, end = 0;
    bool begun = false;
  };
  static constexpr std::size_t kMaxGaps = 16;
  std::array<GapHops, kMaxGaps> gaps_{};
  std::size_t gap_head_ = 0, gap_count_ = 0;
  // Parties: who left (from then on their rules and dead air are off), and a
  // departure waiting for the hops to reach it.
  std::atomic<std::uint64_t>* sequence_source_ = nullptr;
  bool left_[2] = {false, false};
  std::int64_t leaves_at_hop_[2] = {-1, -1};
  bool any_speech_yet_ = false;
  std::int64_t seconds_ = 0;
  CallTimeline timeline_;
};

}  // namespace tw::pipeline
