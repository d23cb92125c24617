#include "pipeline/call_session.h"

#include "dsp/stream_spec.h"

namespace tw::pipeline {

CallSession::CallSession(std::string call_id, const SessionConfig& config, const detect::AgitationModel& model,
                         std::vector<features::SpeakerRole> roles, alerts::EventSink& events)
    : call_id_(std::move(call_id)),
      roles_(roles),
      analyzer_(config.analyzer, roles),
      monitor_(call_id_, config.detection, model, roles_, events) {}

void CallSession::add_tap(FeatureSink& tap) {
  taps_.push_back(&tap);
  if (tap.wants_hops()) hop_taps_.push_back(&tap);
}

void CallSession::process(std::span<const float> interleaved) { analyzer_.process(interleaved, dispatch_); }

void CallSession::skip(std::int64_t frames, dsp::GapKind kind) {
  if (frames <= 0) return;
  if (dsp::declared(kind) || frames > CallAnalyzer::kDirectGapFrames) {
    const std::int64_t from = analyzer_.frames_consumed();
    monitor_.declare_gap(from, from + frames, kind);
  }
  analyzer_.skip(frames, dispatch_);
}

void CallSession::set_absent(features::SpeakerRole role) {
  for (std::size_t c = 0; c < roles_.size(); ++c) {
    if (roles_[c] == role) analyzer_.set_present(c, false);
  }
  monitor_.set_absent(role);
}

void CallSession::party_joined(features::SpeakerRole role) {
  for (std::size_t c = 0; c < roles_.size(); ++c) {
    if (roles_[c] == role) analyzer_.set_present(c, true);
  }
  monitor_.party_joined(role, duration_s());
}

void CallSession::party_left(features::SpeakerRole role, std::int64_t at_frame) { monitor_.party_left(role, at_frame); }

void CallSession::finish(double end_s) {
  analyzer_.finish(dispatch_);  // the last hops' pitch, decided with the hops there are
  deliver_windows(false);  // a window whose partner never came (not in a whole call)
  monitor_.finish(end_s);
}

void CallSession::reset() {
  analyzer_.reset();
  monitor_.reset();
  has_pending_.fill(false);
  seconds_delivered_ = 0;
}

void CallSession::deliver_windows(bool judged) {
  for (const features::SpeakerRole role : roles_) {
    const std::size_t r = role == features::SpeakerRole::caller ? 0 : 1;
    if (!has_pending_[r]) continue;
    has_pending_[r] = false;
    const WindowVerdict verdict = judged ? monitor_.verdict(role) : WindowVerdict{};
    for (FeatureSink* tap : taps_) tap->on_judged_window(role, pending_windows_[r], verdict);
  }
}

double CallSession::duration_s() const noexcept { return dsp::samples_to_seconds(analyzer_.frames_consumed()); }

void CallSession::Dispatch::on_hop(features::SpeakerRole role, const features::HopFeatures& hop) {
  session_.monitor_.on_hop(role, hop);
  for (FeatureSink* tap : session_.hop_taps_) tap->on_hop(role, hop);
}

void CallSession::Dispatch::on_window(features::SpeakerRole role, const features::WindowSummary& window) {
  CallSession& s = session_;
  const std::size_t r = role == features::SpeakerRole::caller ? 0 : 1;
  if (s.has_pending_[r]) s.deliver_windows(false);  // (never in step; do not lose it)
  s.pending_windows_[r] = window;
  s.has_pending_[r] = true;
  s.monitor_.on_window(role, window);
  if (s.monitor_.seconds() != s.seconds_delivered_) {
    s.seconds_delivered_ = s.monitor_.seconds();
    s.deliver_windows(true);
  }
}

}  // namespace tw::pipeline

namespace tw::pipeline {

void CallSession::Dispatch::on_channels_merged(features::SpeakerRole kept, features::SpeakerRole dropped,
                                               const ChannelCheck& check) {
  session_.deliver_windows(false);
  session_.monitor_.on_channels_merged(kept, dropped, check);
  for (FeatureSink* tap : session_.taps_) tap->on_channels_merged(kept, dropped, check);
}

}  // namespace tw::pipeline
