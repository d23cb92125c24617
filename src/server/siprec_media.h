#pragma once
// The media side of one SIPREC recording session (issue 24): each forked stream (one
// per participant, RFC 7866 §8) gets a port pair of the UDP receiver and a jitter
// buffer, and both buffers write into one IngestLeg as the call's two tracks, so the
// call is a LiveCall like any other (the same session, outputs, events and dashboard).
//
// Threads: the signalling creates, updates and ends a session; the datagrams arrive on
// the receiver's loop thread ("tw-rtp"), which alone touches the jitter buffers and
// writes the legs while the session is open. end() closes the ports first (after which
// the loop never calls in again), then plays out what the buffers hold and ends the legs.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "features/speaker_role.h"
#include "net/udp_receiver.h"
#include "server/ingest_context.h"
#include "server/ingest_leg.h"
#include "telephony/rtp_jitter_buffer.h"
#include "telephony/srtp_receiver.h"

namespace tw::server {

/// One forked stream as the SDP offer and the metadata describe it.
struct SiprecStream {
  std::string label;                   ///< the SDP a=label (RFC 4574), which the metadata's stream names
  features::SpeakerRole role = features::SpeakerRole::caller;  ///< whose voice it carries
  telephony::RtpJitterConfig rtp;      ///< rate, payload types, depth (its `track` is set here)
  /// SRTP (SDES): the suite and the SRC's 30-octet master key and salt; empty: plain RTP.
  std::string srtp_suite, srtp_key;
};

/// What a session's streams counted, for the summary and the metrics.
struct SiprecMediaCounters {
  std::vector<telephony::RtpCounters> streams;  ///< per stream, in the order given
  std::vector<telephony::SrtpCounters> srtp;    ///< per stream (all zero for plain RTP)
};

class SiprecMedia {
 public:
  /// Opens the call in the registry, then starts reading `pairs` (reserved port pairs,
  /// one per stream, in the order of the streams: what arrived on them since they were
  /// bound is read first). Throws std::invalid_argument for no streams, more than two,
  /// two of one role, streams of different rates, a pair missing, or an SRTP key
  /// libsrtp2 does not take;
  /// std::runtime_error when the registry refuses the call (its reason, e.g.
  /// --max-calls). `metadata` goes to the call's summary and dashboard row
  /// (participants, the SRC's call id).
  SiprecMedia(IngestContext& context, std::vector<std::unique_ptr<net::UdpReceiver::Pair>> pairs,
              const std::string& call_id, const std::string& remote, std::vector<SiprecStream> streams,
              nlohmann::json metadata);
  /// As above, with pairs reserved from `receiver` here; std::runtime_error when the
  /// port range is exhausted.
  SiprecMedia(IngestContext& context, net::UdpReceiver& receiver, const std::string& call_id,
              const std::string& remote, std::vector<SiprecStream> streams, nlohmann::json metadata);
  /// Ends the session if end() was not called (as a lost connection).
  ~SiprecMedia();
  SiprecMedia(const SiprecMedia&) = delete;
  SiprecMedia& operator=(const SiprecMedia&) = delete;

  /// The RTP port each stream was given, in the order of the streams: for the SDP answer.
  std::vector<std::uint16_t> rtp_ports() const;
  /// Stops the media (the ports close), plays out what the jitter buffers hold and
  /// ends the call's legs; the call is then analysed to its end and written. Idempotent.
  /// Not on the receiver's loop thread.
  void end(telephony::EndReason reason, std::string_view detail);
  /// The SRC put stream `index` on hold (re-INVITE): the time until its next audio is
  /// a declared pause, not lost audio (RtpJitterBuffer::declare_pause, applied on the
  /// receiver's thread with the stream's next datagram). Any thread.
  void declare_pause(std::size_t index) noexcept;
  /// Steady-clock time of the newest datagram on any stream, -1 before the first. Any thread.
  std::int64_t last_datagram_ns() const noexcept;
  /// Replaces the call's metadata members that `metadata` names (a metadata update).
  void update_metadata(const nlohmann::json& metadata);
  /// Streams (one or two).
  std::size_t stream_count() const noexcept { return streams_.size(); }

  /// The counters so far. After end(), final; before it, read on another thread they
  /// may be mid-update (for a progress view only).
  SiprecMediaCounters counters() const;
  /// The call (null only if it was refused, which the constructor reports).
  const std::shared_ptr<LiveCall>& call() const noexcept { return leg_.call(); }

 private:
  class Stream;
  IngestLeg leg_;
  // The call's arrival clock: the steady time of the session's first datagram, -1
  // before it, shared by its streams so both are placed on one timeline
  // (RtpJitterBuffer). Loop thread only.
  std::int64_t start_ns_ = -1;
  std::vector<std::unique_ptr<Stream>> streams_;
  bool ended_ = false;
};

}  // namespace tw::server
