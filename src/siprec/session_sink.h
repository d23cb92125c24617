#pragma once
// What the SIPREC signalling tells the rest of the program: a recording session started
// (its streams, the RTP ports we answered with, who is who), changed (hold, metadata,
// streams), ended. The server implements SiprecSessionSink; the signalling never sees it
// beyond this interface.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "features/speaker_role.h"

namespace tw::siprec {

/// One payload type the SRC offered and we accepted for a stream (RFC 3551 §6 static
/// types or an a=rtpmap dynamic one).
struct PayloadFormat {
  int payload_type = 0;     ///< 0..127
  std::string encoding;     ///< "PCMU", "PCMA", "G722", "telephone-event"
  std::uint32_t clock_rate_hz = 8000;  ///< the RTP clock (8000 for G.722 too, RFC 3551 §4.5.2)
};

/// One offered m= line and what we answered for it.
struct StreamInfo {
  std::size_t media_index = 0;      ///< position of the m= line in the offer (0-based)
  std::string label;                ///< its a=label (RFC 4574), "" when none
  bool accepted = false;            ///< answered with a port (audio, RTP/AVP, a codec we decode)
  std::uint16_t local_rtp_port = 0; ///< our RTP port (RTCP is +1, RFC 3550 §11); 0 when refused
  std::string remote_address;       ///< where the SRC sends from, as the offer's c= line says
  std::uint16_t remote_rtp_port = 0;
  std::vector<PayloadFormat> formats;  ///< accepted payload types, the SRC's preference first
  bool on_hold = false;             ///< the SRC sends nothing on it: a=inactive / a=recvonly (a declared pause)
  features::SpeakerRole role = features::SpeakerRole::caller;  ///< from the metadata (sip/stream_roles.h)
  std::string role_basis;           ///< "agent_pattern", "first_participant", "stream_order", or "none"
  std::string participant_name;     ///< the sender's display name from the metadata, "" when unknown
  std::string participant_aor;      ///< the sender's AoR from the metadata, "" when unknown
  /// SRTP (RTP/SAVP with SDES keys, RFC 4568): the suite the SRC's a=crypto line chose
  /// ("AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32"), "" for plain RTP.
  std::string srtp_suite;
  std::string srtp_key;             ///< the SRC's master key and salt (30 octets), to decrypt what it sends
};

/// A recording session as it stands.
struct SessionInfo {
  std::uint64_t id = 0;             ///< ours, unique per SiprecSignalling instance, never reused
  std::string call_id;              ///< the recording session's SIP Call-ID (the SRC's)
  std::string source;               ///< the SRC's address and port ("192.0.2.1:5060", "[2001:db8::1]:5060")
  std::string transport;            ///< "udp", "tcp" or "tls"
  std::vector<StreamInfo> streams;  ///< one per offered m= line, in offer order
  bool on_hold = false;             ///< every accepted stream is on hold
  std::string metadata_json;        ///< the merged RFC 7865 metadata as JSON (see metadata_json.h)
};

/// What an update changed (several may be set at once).
struct SessionChange {
  bool hold_changed = false;      ///< a stream went on or off hold
  bool metadata_changed = false;  ///< new metadata was merged (RFC 7865 §6.1.1 partial or complete)
  bool streams_changed = false;   ///< a stream was added, removed (port 0) or its port/codecs changed
};

/// Why a session ended.
enum class SessionEndReason {
  bye,        ///< the SRC sent BYE (RFC 3261 §15)
  timeout,    ///< our 2xx was never acknowledged (RFC 3261 §13.3.1.4), or a transport error
  shutdown,   ///< SiprecSignalling::stop(): we sent BYE
  local,      ///< SiprecSignalling::end_session() (the media side ended it: RTP idle, refused): we sent BYE
  expired,    ///< the SRC did not refresh the session before its interval ran out (RFC 4028 §10): we sent BYE
  error,      ///< anything else libre reported
};

/// "bye", "timeout", "shutdown", "local", "expired" or "error".
std::string_view to_string(SessionEndReason reason) noexcept;

/// Receives the recording sessions. Every call comes from the SIP thread (the one libre's
/// re_main runs on), one at a time: an implementation must hand the information off
/// (copy it into a queue, post it to its own executor) and return at once, never block
/// (a blocked call stalls every SIP transaction of every session, and their
/// retransmission timers). Calls for one session come in order: start, updates, end.
/// An INVITE cancelled or refused before its 2xx produces no call at all.
class SiprecSessionSink {
 public:
  virtual ~SiprecSessionSink() = default;
  /// The 2xx answer has been sent: RTP may arrive on `info.streams[i].local_rtp_port` now.
  virtual void on_session_start(const SessionInfo& info) = 0;
  /// A re-INVITE changed the session; `info` is the whole new state. Called when the new offer
  /// has been taken, just before libre sends the 200 with our answer.
  virtual void on_session_update(const SessionInfo& info, const SessionChange& change) = 0;
  /// The session is over; its RTP ports are free for other sessions after this returns.
  virtual void on_session_end(std::uint64_t id, SessionEndReason reason) = 0;
};

}  // namespace tw::siprec
