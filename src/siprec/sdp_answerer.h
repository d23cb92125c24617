#pragma once
// The recorder's side of SDP offer/answer (RFC 3264) for one recording session, through
// libre's sdp module: the SRC's offers in, our answers out, and what each m= line now is
// (StreamInfo). Needs no SIP and no running libre loop, only libre's memory functions, so
// it is tested and fuzzed on its own. One thread (the SIP thread in SiprecSignalling).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "siprec/rtp_port_pool.h"
#include "siprec/session_sink.h"

struct sdp_session;

namespace tw::siprec {

/// Why an offer was refused: the SIP status (488, 500 or 503), its reason phrase, and the detail.
struct OfferRefusal {
  std::uint16_t code = 488;
  const char* reason = "Not Acceptable Here";
  std::string detail;
};

/// One session's SDP state: its streams and the answer to the last offer.
class SdpAnswerer {
 public:
  /// More m= lines than any SRC sends (two per recorded call, four with video); bounds the state.
  static constexpr std::size_t kMaxMediaLines = 16;

  /// `media_address`: the IP address our answers name for RTP (c= and o= lines). Throws
  /// std::invalid_argument when it is not an address an SRC can send to (a wildcard, a name).
  explicit SdpAnswerer(const std::string& media_address);
  ~SdpAnswerer();
  SdpAnswerer(const SdpAnswerer&) = delete;
  SdpAnswerer& operator=(const SdpAnswerer&) = delete;

  /// Applies an offer (the first one when streams() is empty, then re-offers, RFC 3264 §8):
  /// each audio RTP/AVP m= line with PCMU, PCMA or G722, and each RTP/SAVP one with an SDES
  /// a=crypto line we take (RFC 4568; its key in StreamInfo::srtp_key, ours in the answer),
  /// is accepted recvonly (RFC 7866 §8.1.1)
  /// with its label and an RTP port pair from `ports`; any other m= line, and one offered with
  /// port 0, is refused with port 0 (RFC 3264 §6, §8.2). `change` says what differs from the
  /// previous offer. On a refusal the previous answer stays (ports taken for new streams are
  /// kept in streams() and given back by release_ports()). An offer accepting no stream at all
  /// is refused when it is the first.
  std::optional<OfferRefusal> apply_offer(std::string_view sdp, RtpPortAllocator& ports, SessionChange& change);
  /// The SDP answer to the last offer applied (o= version incremented each time, RFC 3264 §8).
  /// Empty on a libre failure (out of memory).
  std::string answer();
  /// One entry per offered m= line, in offer order.
  const std::vector<StreamInfo>& streams() const noexcept { return streams_; }
  /// The same, for the caller to fill in roles (sip/stream_roles.h).
  std::vector<StreamInfo>& streams() noexcept { return streams_; }
  /// True when every accepted stream is on hold (a=inactive, a=recvonly or c=0.0.0.0).
  bool on_hold() const noexcept { return on_hold_; }
  /// Gives every stream's RTP port back to `ports` (the session ended).
  void release_ports(RtpPortAllocator& ports) noexcept;

 private:
  struct sdp_session* session_ = nullptr;
  std::string media_address_;
  std::vector<StreamInfo> streams_;
  std::vector<std::string> local_keys_;  // per m= line: our SRTP key for the answer's a=crypto (base64), "" for none
  bool on_hold_ = false;
};

}  // namespace tw::siprec
