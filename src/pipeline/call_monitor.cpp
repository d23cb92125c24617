#include "pipeline/call_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tw::pipeline {
namespace {

using alerts::EventKind;
using alerts::EventState;
using alerts::Severity;
using features::SpeakerRole;

constexpr double kHop_s = 0.01;
constexpr double kSilenceMark_s = 2.0;   // both silent this long is marked on the report
constexpr double kOverlapMerge_s = 0.2;  // overlaps closer than this merge into one mark

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  return text;
}

std::string role_name(SpeakerRole role) { return std::string(features::to_string(role)); }

// "pitch +4.1 st": a feature's change from the baseline in words and units.
std::string feature_change(const detect::Evidence& x) {
  for (std::size_t i = 0; i < detect::kProsodyCount; ++i) {
    if (detect::kProsodyNames[i] != x.feature) continue;
    std::string text = std::string(detect::kProsodyLabels[i]) + format(" %+.1f", x.value - x.baseline);
    if (!detect::kProsodyUnits[i].empty()) text += " " + std::string(detect::kProsodyUnits[i]);
    return text;
  }
  return x.feature + format(" %+.1f", x.value - x.baseline);
}

}  // namespace

CallMonitor::CallMonitor(std::string call_id, const detect::DetectionConfig& config, const detect::AgitationModel& model,
                         const std::vector<SpeakerRole>& roles, alerts::EventSink& events)
    : call_id_(std::move(call_id)),
      roles_(roles),
      config_(config),
      sink_(events),
      caller_(config.agitation, config.baseline, model),
      agent_(config.agitation, config.baseline, model),
      turns_(config.turns),
      agent_rules_(config.agent),
      stage_(config.stage),
      caller_high_(config.caller.high_timing),
      caller_rising_(config.caller.rising_timing) {
  for (SpeakerRole role : roles) {
    has_[index(role)] = true;
    timeline_.roles.push_back(role_name(role));
  }
  timeline_.call_id = call_id_;
  timeline_.stages.push_back({detect::Stage::calm, 0.0, 0.0});
  for (SpeakerRole role : roles) timeline_.parties.push_back({role_name(role), 0.0, NAN});
}

void CallMonitor::set_absent(SpeakerRole role) {
  const std::size_t r = index(role);
  has_[r] = false;
  timeline_.roles.erase(std::remove(timeline_.roles.begin(), timeline_.roles.end(), role_name(role)), timeline_.roles.end());
  for (Party& p : timeline_.parties) {
    if (p.role == role_name(role)) p.joined_s = NAN;
  }
}

void CallMonitor::party_joined(SpeakerRole role, double time_s) {
  const std::size_t r = index(role);
  if (has_[r]) return;
  has_[r] = true;
  // Its hops start with the next block: the hops before are heard as the others' alone.
  hops_seen_[r] = hops_done_;
  pending_window_[r].reset();
  timeline_.roles.clear();
  for (SpeakerRole x : roles_) {
    if (has_[index(x)]) timeline_.roles.push_back(role_name(x));
  }
  for (Party& p : timeline_.parties) {
    if (p.role == role_name(role)) p.joined_s = time_s;
  }
  alerts::Event e = make_event(time_s, "party_joined", Severity::info, EventState::instant, role_name(role), time_s);
  e.message = role_name(role) + " joined the call";
  emit(std::move(e));
}

void CallMonitor::party_left(SpeakerRole role, std::int64_t at_frame) {
  const std::size_t r = index(role);
  if (left_[r] || !has_[r]) return;
  const std::int64_t hop = (at_frame + 79) / 80;  // the first hop centred at or after it
  if (hop <= hops_done_) {
    party_leaves(r, static_cast<double>(at_frame) / 8000.0);  // the hops are there already
    return;
  }
  leaves_at_hop_[r] = hop;
}

void CallMonitor::party_leaves(std::size_t r, double t) {
  leaves_at_hop_[r] = -1;
  if (left_[r]) return;
  // Dead air and a monologue open now end here; there is no conversation to be
  // silent in once one party has gone.
  turn_events(t, turns_.begin_gap(t));
  left_[r] = true;
  const std::string who = r == 0 ? "caller" : "agent";
  alerts::Event left = make_event(t, "party_left", Severity::info, EventState::instant, who, t);
  left.message = who + " left the call";
  emit(std::move(left));
  // That party's episodes still open end with it.
  std::vector<alerts::Event> closing;
  for (const alerts::Event& e : timeline_.events) {
    if (e.state != EventState::opened || e.speaker != who) continue;
    const bool closed_later = std::any_of(timeline_.events.begin(), timeline_.events.end(), [&](const alerts::Event& x) {
      return x.type == e.type && x.state == EventState::closed && x.time_s >= e.time_s;
    });
    if (closed_later) continue;
    alerts::Event c = make_event(t, e.type, Severity::info, EventState::closed, e.speaker, e.since_s);
    c.message = who + " left the call";
    c.details = {{"party_left", true}};
    closing.push_back(std::move(c));
  }
  for (alerts::Event& c : closing) emit(std::move(c));
  for (Party& p : timeline_.parties) {
    if (p.role == who) p.left_s = t;
  }
}

void CallMonitor::reset() {
  caller_.reset();
  agent_.reset();
  turns_.reset();
  agent_rules_.reset();
  stage_.reset();
  caller_high_.reset();
  caller_rising_.reset();
  for (auto& lane : vad_) lane.fill(0);
  hops_seen_[0] = hops_seen_[1] = 0;
  hops_done_ = 0;
  pending_window_[0].reset();
  pending_window_[1].reset();
  pending_end_hop_[0] = pending_end_hop_[1] = -1;
  overlap_.reset();
  silence_.reset();
  gap_head_ = gap_count_ = 0;
  left_[0] = left_[1] = false;
  leaves_at_hop_[0] = leaves_at_hop_[1] = -1;
  any_speech_yet_ = false;
  seconds_ = 0;
  has_[0] = has_[1] = false;
  CallTimeline fresh;
  fresh.call_id = std::move(timeline_.call_id);
  for (SpeakerRole role : roles_) {
    has_[index(role)] = true;
    fresh.roles.push_back(role_name(role));
  }
  fresh.stages.push_back({detect::Stage::calm, 0.0, 0.0});
  for (SpeakerRole role : roles_) fresh.parties.push_back({role_name(role), 0.0, NAN});
  timeline_ = std::move(fresh);
}

alerts::Event CallMonitor::make_event(double time_s, const std::string& type, Severity severity, EventState state,
                                      const std::string& speaker, double since_s) const {
  alerts::Event e;
  e.call_id = call_id_;
  e.time_s = time_s;
  e.type = type;
  e.severity = severity;
  e.state = state;
  e.speaker = speaker;
  e.since_s = since_s;
  return e;
}

void CallMonitor::emit(alerts::Event event) {
  event.sequence = sequence_source_ != nullptr ? sequence_source_->fetch_add(1, std::memory_order_relaxed) + 1
                                               : timeline_.events.size() + 1;
  sink_.on_event(event);
  timeline_.events.push_back(std::move(event));
}

// ---- hops: turn taking -------------------------------------------------------

void CallMonitor::on_hop(SpeakerRole role, const features::HopFeatures& hop) {
  const std::size_t r = index(role);
  vad_[r][static_cast<std::size_t>(hop.hop_index) % kAlignHops] = hop.vad ? 1 : 0;
  hops_seen_[r] = hop.hop_index + 1;
  // Advance over every hop both present channels have delivered.
  std::int64_t ready = INT64_MAX;
  for (std::size_t i = 0; i < 2; ++i) {
    if (has_[i]) ready = std::min(ready, hops_seen_[i]);
  }
  while (hops_done_ < ready) {
    for (std::size_t who = 0; who < 2; ++who) {
      if (leaves_at_hop_[who] >= 0 && hops_done_ >= leaves_at_hop_[who]) {
        party_leaves(who, static_cast<double>(leaves_at_hop_[who]) * kHop_s);
      }
    }
    if (gap_count_ > 0 && hops_done_ >= gaps_[gap_head_].first) {
      // Inside a gap: its hops (skipped, or the silence around a skip) are not heard.
      // Jumping over them keeps a gap of any length constant in time.
      GapHops& g = gaps_[gap_head_];
      if (!g.begun) {
        g.begun = true;
        gap_begins(static_cast<double>(g.first) * kHop_s);
      }
      if (ready < g.end) {
        hops_done_ = ready;
        break;
      }
      hops_done_ = g.end;
      turns_.end_gap(static_cast<double>(g.end) * kHop_s);
      gap_head_ = (gap_head_ + 1) % kMaxGaps;
      --gap_count_;
      continue;
    }
    const auto slot = static_cast<std::size_t>(hops_done_) % kAlignHops;
    on_both_hops(hops_done_, has_[0] && vad_[0][slot] != 0, has_[1] && vad_[1][slot] != 0);
    ++hops_done_;
  }
}

void CallMonitor::declare_gap(std::int64_t from_frame, std::int64_t to_frame, dsp::GapKind kind) {
  if (to_frame <= from_frame) return;
  constexpr std::int64_t kHopFrames = 80;  // hop h is centred on frame h * 80
  const std::int64_t first = (from_frame + kHopFrames - 1) / kHopFrames;
  const std::int64_t end = (to_frame + kHopFrames - 1) / kHopFrames;
  const double start_s = static_cast<double>(from_frame) / 8000.0, end_s = static_cast<double>(to_frame) / 8000.0;
  const std::string label(dsp::to_string(kind));
  Interval* last = timeline_.gaps.empty() ? nullptr : &timeline_.gaps.back();
  if (last != nullptr && last->label == label && std::abs(last->end_s - start_s) < 1e-9) {
    last->end_s = end_s;  // one stretch reported in pieces
  } else {
    timeline_.gaps.push_back({start_s, end_s, label});
  }
  if (end <= first) return;
  if (gap_count_ > 0) {
    GapHops& back = gaps_[(gap_head_ + gap_count_ - 1) % kMaxGaps];
    if (first <= back.end || gap_count_ == kMaxGaps) {  // adjacent (or no room): one gap
      back.end = std::max(back.end, end);
      return;
    }
  }
  gaps_[(gap_head_ + gap_count_) % kMaxGaps] = GapHops{first, end, false};
  ++gap_count_;
}

void CallMonitor::gap_begins(double t) {
  turn_events(t, turns_.begin_gap(t));
  // The report's marks stop at the gap: what follows it is a new stretch.
  if (overlap_) timeline_.overlaps.push_back(*overlap_);
  if (silence_ && silence_->end_s - silence_->start_s >= kSilenceMark_s && any_speech_yet_) {
    timeline_.silences.push_back(*silence_);
  }
  overlap_.reset();
  silence_.reset();
}

void CallMonitor::on_both_hops(std::int64_t hop, bool caller_active, bool agent_active) {
  const double t = static_cast<double>(hop) * kHop_s;
  turn_events(t, turns_.update(t, caller_active, agent_active));

  // Report marks: overlaps and silences.
  if (caller_active || agent_active) any_speech_yet_ = true;
  if (caller_active && agent_active) {
    if (overlap_ && t - overlap_->end_s <= kOverlapMerge_s) {
      overlap_->end_s = t + kHop_s;
    } else {
      if (overlap_) timeline_.overlaps.push_back(*overlap_);
      overlap_ = Interval{t, t + kHop_s, "overlap"};
    }
  }
  if (!caller_active && !agent_active) {
    if (!silence_) silence_ = Interval{t, t + kHop_s, "silence"};
    silence_->end_s = t + kHop_s;
  } else if (silence_) {
    if (silence_->end_s - silence_->start_s >= kSilenceMark_s && any_speech_yet_) timeline_.silences.push_back(*silence_);
    silence_.reset();
  }
}

void CallMonitor::turn_events(double t, const detect::TurnEvents& e_in) {
  detect::TurnEvents e = e_in;
  if (left_[0] || left_[1]) {
    // One party has gone: silence is not dead air, and nobody interrupts anyone.
    e.dead_air_started = e.dead_air_ended = false;
    e.interruption = false;
  }
  if (e.interruption) {
    const bool agent_cut_in = e.interrupter == SpeakerRole::agent;
    const bool venting = stage_.stage() == detect::Stage::venting;
    // The worst case: the agent cutting into a venting caller.
    const Severity severity = agent_cut_in ? (venting ? Severity::critical : Severity::warning) : Severity::info;
    alerts::Event event = make_event(t, "interruption", severity, EventState::instant, role_name(e.interrupter),
                                     e.interruption_start_s);
    const std::string interrupted = agent_cut_in ? "caller" : "agent";
    event.details = {{"interrupter", role_name(e.interrupter)},
                     {"interrupted", interrupted},
                     {"yielded", e.interrupted_yielded ? interrupted : std::string("none")},
                     {"interrupted_turn_s", std::round(e.interrupted_turn_s * 100) / 100},
                     {"overlap_s", std::round(e.overlap_s * 100) / 100},
                     {"during_stage", std::string(detect::to_string(stage_.stage()))}};
    event.evidence.push_back({"overlap_s", static_cast<float>(e.overlap_s), NAN, NAN, e.interruption_start_s});
    event.message = role_name(e.interrupter) + " cut in " + format("%.1f s", e.interrupted_turn_s) + " into the " +
                    interrupted + "'s turn " +
                    (e.interrupted_yielded
                         ? "and took the floor: the " + interrupted + " gave way after " + format("%.1f s", e.overlap_s) +
                               " of overlap"
                         : "and they talked over each other for " + format("%.1f s", e.overlap_s));
    ++timeline_.interruptions[index(e.interrupter)];
    emit(std::move(event));
    if (agent_cut_in && venting) listening_rule_broken(t, "interrupted the venting caller", e.interruption_start_s);
  }
  if (e.dead_air_started) {
    alerts::Event event = make_event(t, "dead_air", Severity::warning, EventState::opened, "", e.dead_air_since_s);
    event.evidence.push_back({"silence_s", static_cast<float>(t - e.dead_air_since_s), NAN, NAN, e.dead_air_since_s});
    event.message = format("both sides silent for %.0f s", t - e.dead_air_since_s);
    emit(std::move(event));
  }
  if (e.dead_air_ended) {
    alerts::Event event = make_event(t, "dead_air", Severity::info, EventState::closed, "", e.dead_air_since_s);
    event.evidence.push_back({"silence_s", static_cast<float>(t - e.dead_air_since_s), NAN, NAN, e.dead_air_since_s});
    event.message = format("silence ended after %.1f s", t - e.dead_air_since_s);
    emit(std::move(event));
  }
  if (e.monologue_started || e.monologue_ended) {
    alerts::Event event = make_event(t, "agent_monologue", e.monologue_started ? Severity::warning : Severity::info,
                                     e.monologue_started ? EventState::opened : EventState::closed, "agent",
                                     e.monologue_since_s);
    event.evidence.push_back({"agent_turn_s", static_cast<float>(t - e.monologue_since_s), NAN, NAN, e.monologue_since_s});
    event.message = e.monologue_started ? format("agent has held the floor for %.0f s without yielding", t - e.monologue_since_s)
                                        : format("agent yielded the floor after %.0f s", t - e.monologue_since_s);
    emit(std::move(event));
  }
}

void CallMonitor::on_channels_merged(SpeakerRole kept, SpeakerRole dropped, const ChannelCheck& check) {
  has_[index(dropped)] = false;
  has_[index(kept)] = true;
  pending_window_[0].reset();
  pending_window_[1].reset();
  timeline_.roles = {role_name(kept)};
  (dropped == SpeakerRole::caller ? timeline_.caller : timeline_.agent).clear();
  timeline_.channels_identical = true;
  timeline_.channel_correlation = check.correlation;
  alerts::Event e = make_event(check.decided_at_s, "channels_identical", Severity::warning, EventState::instant, "", 0.0);
  e.evidence.push_back({"channel_correlation", check.correlation, NAN, NAN, 0.0});
  e.message = format("both channels carry the same signal (correlation %.3f over the first %.0f s): a mixed recording "
                     "saved as stereo? Analysed as one mixed speaker (the ",
                     check.correlation, check.decided_at_s) +
              role_name(kept) + "); turn taking between the sides cannot be measured";
  timeline_.warnings.push_back(e.message);
  emit(std::move(e));
}

// ---- windows: agitation, agent tone, stage ---------------------------------------

void CallMonitor::on_window(SpeakerRole role, const features::WindowSummary& window) {
  const std::size_t r = index(role);
  pending_window_[r] = detect::prosody_from_window(window);
  pending_end_hop_[r] = window.end_hop;
  const bool caller_ready = !has_[0] || pending_window_[0].has_value();
  const bool agent_ready = !has_[1] || pending_window_[1].has_value();
  if (!caller_ready || !agent_ready) return;
  const double t = static_cast<double>(std::max(pending_end_hop_[0], pending_end_hop_[1]) + 1) * kHop_s;
  on_second(t, pending_window_[0] ? &*pending_window_[0] : nullptr, pending_window_[1] ? &*pending_window_[1] : nullptr);
  pending_window_[0].reset();
  pending_window_[1].reset();
}

WindowVerdict CallMonitor::verdict(SpeakerRole role) const noexcept {
  const detect::AgitationState& s = (role == SpeakerRole::caller ? caller_ : agent_).state();
  WindowVerdict v;
  v.agitation_score = s.scored ? s.score : NAN;
  v.agitation_level = s.smoothed;
  v.stage = detect::to_string(stage_.stage());
  return v;
}

void CallMonitor::on_second(double t, const detect::ProsodyVector* caller, const detect::ProsodyVector* agent) {
  ++seconds_;
  const detect::ProsodyVector silent{};
  caller_.update(t, caller != nullptr ? *caller : silent);
  agent_.update(t, agent != nullptr ? *agent : silent);

  // A party who left has no more episodes (they were closed as "left the call").
  if (has_[0] && !left_[0]) caller_agitation_rules(t);
  if (has_[0] && has_[1] && !left_[0] && !left_[1]) agent_rules(t);
  if (has_[0] && !left_[0]) stage_rules(t);

  auto record = [&](const detect::AgitationTracker& tracker, std::vector<SpeakerSecond>& out) {
    const detect::AgitationState& s = tracker.state();
    SpeakerSecond second;
    second.time_s = t;
    second.scored = s.scored;
    second.agitation = s.smoothed;
    second.score = s.score;
    second.speech_s = s.window.speech_s;
    second.loudness_db = s.window[detect::Prosody::loudness_db];
    const float st = s.window[detect::Prosody::f0_median_st];
    second.f0_median_hz = std::isfinite(st) ? 27.5f * std::exp2(st / 12.0f) : NAN;
    second.speaking_rate_syl_per_s = s.window[detect::Prosody::speaking_rate_syl_per_s];
    second.baseline_established = s.baseline_established;
    out.push_back(second);
  };
  if (has_[0]) record(caller_, timeline_.caller);
  if (has_[1]) record(agent_, timeline_.agent);
  timeline_.stages.back().end_s = t;
  timeline_.duration_s = t;
}

std::vector<detect::Evidence> CallMonitor::agitation_evidence(double since_s) const {
  const detect::AgitationState& s = caller_.state();
  std::vector<detect::Evidence> evidence;
  evidence.push_back({"agitation_score", s.smoothed, NAN, NAN, since_s});
  // The features that pushed the score up most, strongest first.
  std::array<std::size_t, detect::kProsodyCount> order{};
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return s.details.contributions[a] > s.details.contributions[b]; });
  for (std::size_t k = 0; k < 3; ++k) {
    const std::size_t i = order[k];
    if (!(s.details.contributions[i] > 0.0f) || !std::isfinite(s.window.values[i])) continue;
    const auto p = static_cast<detect::Prosody>(i);
    evidence.push_back({std::string(detect::kProsodyNames[i]), s.window[p], caller_.baseline().median(p), s.deviation[p],
                        since_s});
  }
  return evidence;
}

void CallMonitor::caller_agitation_rules(double t) {
  const detect::AgitationState& s = caller_.state();
  const detect::CallerAgitationConfig& c = config_.caller;
  auto describe = [&](const char* what) {
    std::string text = format(what, s.smoothed);
    const std::vector<detect::Evidence> evidence = agitation_evidence(0.0);
    if (evidence.size() > 1) {
      text += " (";
      for (std::size_t i = 1; i < evidence.size(); ++i) {
        const detect::Evidence& x = evidence[i];
        text += (i > 1 ? ", " : "") + feature_change(x);
      }
      text += " against their baseline)";
    }
    return text;
  };

  const detect::EpisodeChange rising = caller_rising_.update(t, s.rising, !s.rising);
  if (rising != detect::EpisodeChange::none) {
    const bool opened = rising == detect::EpisodeChange::opened;
    alerts::Event e = make_event(t, "caller_agitation_rising", opened ? Severity::warning : Severity::info,
                                 opened ? EventState::opened : EventState::closed, "caller", caller_rising_.onset_s());
    e.evidence = agitation_evidence(caller_rising_.onset_s());
    e.evidence.push_back({"agitation_slope_per_min", s.slope_per_min, NAN, NAN, caller_rising_.onset_s()});
    e.message = opened ? describe("caller's agitation is rising: score %.2f") : describe("caller's agitation stopped rising: score %.2f");
    emit(std::move(e));
  }
  const detect::EpisodeChange high =
      caller_high_.update(t, s.smoothed >= c.high_open_level, s.smoothed < c.high_close_level);
  if (high != detect::EpisodeChange::none) {
    const bool opened = high == detect::EpisodeChange::opened;
    alerts::Event e = make_event(t, "caller_agitation_high", opened ? Severity::warning : Severity::info,
                                 opened ? EventState::opened : EventState::closed, "caller", caller_high_.onset_s());
    e.evidence = agitation_evidence(caller_high_.onset_s());
    e.message = opened ? describe("caller agitated: score %.2f, sustained") : describe("caller's agitation eased: score %.2f");
    emit(std::move(e));
  }
}

void CallMonitor::agent_rules(double t) {
  for (const detect::AgentRuleChange& change : agent_rules_.update(t, agent_, caller_)) {
    const bool opened = change.change == detect::EpisodeChange::opened;
    const std::string type = detect::kAgentRuleNames[static_cast<std::size_t>(change.rule)];
    const double since = change.evidence.empty() ? t : change.evidence.front().since_s;
    alerts::Event e = make_event(t, type, opened ? Severity::warning : Severity::info,
                                 opened ? EventState::opened : EventState::closed, "agent", since);
    e.evidence = change.evidence;
    std::string detail, context;
    for (const detect::Evidence& x : change.evidence) {
      if (std::isfinite(x.baseline)) {
        detail += (detail.empty() ? "" : ", ") + feature_change(x);
      } else {
        context += (context.empty() ? "; " : ", ") +
                   (x.feature == "caller_speaking_rate_syl_per_s" ? format("caller at %.1f syl/s", x.value)
                                                                   : x.feature + format(" %.1f", x.value));
      }
    }
    if (!detail.empty()) detail += " against their baseline";
    detail += context;
    static const char* kOpened[] = {"agent's voice is raised", "agent is speaking fast", "agent is speaking slowly",
                                    "agent sounds monotone"};
    static const char* kClosed[] = {"agent's voice back to normal", "agent's pace back to normal",
                                    "agent's pace back to normal", "agent's delivery livelier again"};
    const auto i = static_cast<std::size_t>(change.rule);
    e.message = std::string(opened ? kOpened[i] : kClosed[i]) + (detail.empty() ? "" : ": " + detail);
    emit(std::move(e));
    if (opened && change.rule == detect::AgentRule::raised_voice && stage_.stage() == detect::Stage::venting) {
      listening_rule_broken(t, "raised their voice at the venting caller", since);
    }
  }
}

void CallMonitor::listening_rule_broken(double t, const std::string& what, double since_s) {
  alerts::Event e = make_event(t, "supervisor_alert", Severity::critical, EventState::instant, "agent", since_s);
  e.kind = EventKind::alert;
  e.details = {{"reason", "agent_broke_listening_rules"}, {"stage", "venting"}};
  e.evidence = agitation_evidence(stage_.stage_since_s());
  e.message = "agent " + what + format(" (caller venting since %.0f s): let the caller finish", stage_.stage_since_s());
  emit(std::move(e));
}

void CallMonitor::stage_rules(double t) {
  const detect::AgitationState& s = caller_.state();
  detect::StageInputs in;
  in.time_s = t;
  in.caller_agitation = s.smoothed;
  in.caller_baseline_established = s.baseline_established;
  in.caller_rising = s.rising;
  in.caller_slope_per_min = s.slope_per_min;
  in.caller_floor_share = turns_.floor_share(SpeakerRole::caller);
  in.agent_floor_share = has_[1] ? turns_.floor_share(SpeakerRole::agent) : 0.0f;
  const detect::StageUpdate& u = stage_.update(in);
  const double since = stage_.stage_since_s();

  if (u.changed) {
    timeline_.stages.back().end_s = t;
    timeline_.stages.push_back({u.to, t, t});
    alerts::Event e = make_event(t, "stage_change", Severity::info, EventState::instant, "", t);
    e.details = {{"from", std::string(detect::to_string(u.from))}, {"to", std::string(detect::to_string(u.to))}};
    e.evidence = agitation_evidence(t);
    e.evidence.push_back({"caller_floor_share", in.caller_floor_share, NAN, NAN, t - config_.turns.floor_window_s});
    e.evidence.push_back({"agent_floor_share", in.agent_floor_share, NAN, NAN, t - config_.turns.floor_window_s});
    e.message = "stage " + std::string(detect::to_string(u.from)) + " -> " + std::string(detect::to_string(u.to));
    if (u.time_to_calm_s >= 0.0) {
      e.details["time_to_calm_s"] = std::round(u.time_to_calm_s * 10) / 10;
      e.message += format(" (calm again %.0f s after the escalation began)", u.time_to_calm_s);
    }
    emit(std::move(e));
  }
  auto alert = [&](const char* reason, Severity severity, const std::string& message) {
    alerts::Event e = make_event(t, "supervisor_alert", severity, EventState::instant, "caller", since);
    e.kind = EventKind::alert;
    e.details = {{"reason", reason}, {"stage", std::string(detect::to_string(stage_.stage()))}};
    e.evidence = agitation_evidence(since);
    e.message = message;
    emit(std::move(e));
  };
  if (u.relapsed) {
    alert("relapse", Severity::critical, format("caller escalating again (relapse %.0f): agitation %.2f", stage_.relapses(), s.smoothed));
  } else if (u.escalated) {
    alert("escalation", Severity::warning, format("call escalating: caller agitation %.2f and rising", s.smoothed));
  }
  if (u.venting_stalled) {
    alert("venting_stalled", Severity::warning,
          format("caller has been venting for %.0f s without calming: consider stepping in", t - since));
  }
  timeline_.escalations = stage_.escalations();
  timeline_.relapses = stage_.relapses();
  timeline_.time_to_calm_s = stage_.time_to_calm_s();
}

void CallMonitor::finish(double end_time_s) {
  // A departure the hops did not reach (it was at the very end): it is the end.
  for (std::size_t r = 0; r < 2; ++r) leaves_at_hop_[r] = -1;
  // A call that ends inside a gap: the gap began even if no hop after it came.
  if (gap_count_ > 0 && !gaps_[gap_head_].begun) {
    gaps_[gap_head_].begun = true;
    gap_begins(static_cast<double>(gaps_[gap_head_].first) * kHop_s);
  }
  // Episodes still open at the end are closed there, so every opened has its closed.
  std::vector<alerts::Event> closing;
  for (const alerts::Event& e : timeline_.events) {
    if (e.state != EventState::opened) continue;
    const bool closed_later = std::any_of(timeline_.events.begin(), timeline_.events.end(), [&](const alerts::Event& x) {
      return x.type == e.type && x.state == EventState::closed && x.time_s >= e.time_s;
    });
    if (!closed_later) {
      alerts::Event c = make_event(end_time_s, e.type, Severity::info, EventState::closed, e.speaker, e.since_s);
      c.message = "still open when the call ended";
      c.details = {{"end_of_call", true}};
      closing.push_back(std::move(c));
    }
  }
  for (alerts::Event& c : closing) emit(std::move(c));
  if (overlap_) timeline_.overlaps.push_back(*overlap_);
  if (silence_ && silence_->end_s - silence_->start_s >= kSilenceMark_s && any_speech_yet_) {
    timeline_.silences.push_back(*silence_);
  }
  overlap_.reset();
  silence_.reset();
  timeline_.stages.back().end_s = end_time_s;
  timeline_.duration_s = end_time_s;
}

}  // namespace tw::pipeline
