#pragma once
// A stream's place in a call: the IngestSink every protocol adapter writes into. It
// opens the stream's legs in the registry when the stream starts, writes each track's
// audio and gaps into its leg, and ends the legs when the stream ends. The WebSocket
// and TCP ingests (ingest_handlers) own one per connection; SIPREC's media
// (siprec_media) one per recording session.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/connection_handler.h"
#include "server/call_registry.h"
#include "server/ingest_context.h"
#include "telephony/ingest_sink.h"

namespace tw::server {

class IngestLeg final : public telephony::IngestSink {
 public:
  /// `outbox`: where send_text() goes (the connection's); null for a stream with no
  /// way back (SIPREC's RTP), whose send_text() does nothing. `remote`: the peer, for logs.
  IngestLeg(IngestContext& context, std::shared_ptr<net::Outbox> outbox, std::string remote)
      : context_(context), outbox_(std::move(outbox)), remote_(std::move(remote)) {}

  void on_stream_start(const telephony::StreamStart& start) override;
  /// Real-time safe: the leg's ring write.
  void on_audio(const telephony::TrackAudio& audio) override {
    if (LegInput* leg = track_leg(audio.track)) leg->write(audio.samples);
  }
  /// Real-time safe: the gap is queued as its length.
  void on_gap(const telephony::TrackGap& gap) override {
    if (LegInput* leg = track_leg(gap.track)) leg->gap(gap.frames, gap.kind);
  }
  void on_dtmf(const telephony::DtmfEvent&) override;
  void on_stream_end(telephony::EndReason reason, std::string_view detail) override;
  void send_text(std::string_view message) override {
    if (outbox_) outbox_->send(std::string(message));
  }

  /// Ends this stream's legs (idempotent): their audio so far is analysed.
  void end_legs();

  /// Why the registry refused the stream (empty if it was taken or has not started).
  const std::string& refused() const noexcept { return refused_; }
  const std::string& remote() const noexcept { return remote_; }
  /// The call, once the stream started and was taken (null before, or if refused).
  const std::shared_ptr<LiveCall>& call() const noexcept { return handle_.call; }
  /// The call was ended at --max-call-s: the connection has nothing more to bring.
  bool call_cut() const noexcept { return handle_.call && handle_.call->cut_at_max_length(); }

 private:
  // The leg of one of this stream's tracks, or null (not started, refused, or no such track).
  LegInput* track_leg(int track) const noexcept {
    const auto i = static_cast<std::size_t>(track);
    return track >= 0 && i < track_legs_.size() ? track_legs_[i] : nullptr;
  }

  IngestContext& context_;
  std::shared_ptr<net::Outbox> outbox_;
  std::string remote_;
  std::string protocol_ = "unknown";
  std::string call_key_;
  LegHandle handle_;
  std::string refused_;
  // The call's legs for this stream's tracks, kept at the start: a packet goes straight
  // to its ring, not through the call's table of legs (one dependent load fewer per
  // packet). The call (handle_) owns them and outlives this stream.
  std::array<LegInput*, pipeline::TrackJoiner::kMaxTracks> track_legs_{};
  bool ended_ = false;
};

}  // namespace tw::server
