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

void CallSession::finish(double end_s) { monitor_.finish(end_s); }

void CallSession::reset() {
  analyzer_.reset();
  monitor_.reset();
}

double CallSession::duration_s() const noexcept { return dsp::samples_to_seconds(analyzer_.frames_consumed()); }

void CallSession::Dispatch::on_hop(features::SpeakerRole role, const features::HopFeatures& hop) {
  session_.monitor_.on_hop(role, hop);
  for (FeatureSink* tap : session_.hop_taps_) tap->on_hop(role, hop);
}

void CallSession::Dispatch::on_window(features::SpeakerRole role, const features::WindowSummary& window) {
  session_.monitor_.on_window(role, window);
  for (FeatureSink* tap : session_.taps_) tap->on_window(role, window);
}

}  // namespace tw::pipeline
