#include "server/ingest_leg.h"

#include <vector>

namespace tw::server {

using features::SpeakerRole;

void IngestLeg::on_stream_start(const telephony::StreamStart& start) {
  protocol_ = std::string(telephony::to_string(start.protocol));
  std::vector<pipeline::LiveTrack> tracks;
  bool roles[2] = {false, false};
  for (const telephony::TrackInfo& t : start.tracks) {
    tracks.push_back({start.sample_rate_hz, t.channel_roles});
    for (SpeakerRole r : t.channel_roles) roles[r == SpeakerRole::caller ? 0 : 1] = true;
  }
  // One stream carries the whole call (both parties, or a protocol that never splits
  // a call over connections): analysis can start at once.
  const bool complete = (roles[0] && roles[1]) || start.protocol == telephony::Protocol::generic_ws ||
                        start.protocol == telephony::Protocol::audiohook;
  nlohmann::json metadata = start.metadata;
  metadata["remote"] = remote_;
  if (!start.stream_id.empty()) metadata["stream_id"] = start.stream_id;
  call_key_ = start.call_id;
  handle_ = context_.registry.open_leg(protocol_, start.call_id, metadata, tracks, complete);
  if (handle_.call) {
    for (std::size_t i = 0; i < tracks.size() && i < track_legs_.size(); ++i)
      track_legs_[i] = &handle_.call->leg(handle_.first_leg + static_cast<int>(i));
  }
  if (handle_.call && start.protocol == telephony::Protocol::audiohook) {
    // The call can ask this connection to pause or resume its stream (the HTTP API
    // does, for a supervisor). Weak: a call outlives its connections.
    handle_.call->add_stream_control([outbox = std::weak_ptr<net::Outbox>(outbox_)](const std::string& request) {
      if (const auto o = outbox.lock()) o->request(request);
    });
  }
  if (!handle_.call) {
    refused_ = handle_.error;
    context_.log.write("stream_refused",
                       protocol_ + " stream for call " + start.call_id + " from " + remote_ + " refused: " + refused_,
                       {{"protocol", protocol_}, {"call", start.call_id}, {"remote", remote_}, {"reason", refused_}});
  }
}

void IngestLeg::on_dtmf(const telephony::DtmfEvent&) {
  context_.metrics.counter("tonewatch_dtmf_total", "DTMF digits reported by platforms").add();
}

void IngestLeg::on_stream_end(telephony::EndReason reason, std::string_view detail) {
  end_legs();
  // Every leg's end, normal or not: a party leaving is worth a line (an Asterisk
  // hangup reads "stop: hangup: ...", never connection_lost).
  context_.log.write("stream_ended",
                     protocol_ + " stream for call " + call_key_ + " from " + remote_ + " ended (" +
                         std::string(telephony::to_string(reason)) + (detail.empty() ? "" : ": " + std::string(detail)) + ")",
                     {{"protocol", protocol_}, {"call", call_key_}, {"remote", remote_},
                      {"reason", std::string(telephony::to_string(reason))}, {"detail", std::string(detail)}});
}

void IngestLeg::end_legs() {
  if (!handle_.call || ended_) return;
  ended_ = true;
  for (LegInput* leg : track_legs_)
    if (leg != nullptr) leg->end();
}

}  // namespace tw::server
