#pragma once
// SRTP in (RFC 3711), for a SIPREC stream the SRC keyed with SDES (RFC 4568): each
// datagram is authenticated and decrypted into a buffer of this object's, then goes on
// to the jitter buffer as plain RTP or RTCP. libsrtp2 (BSD-3, Debian libsrtp2-dev) does
// the cryptography. One instance per stream, used on one thread.
//
// Real-time: no allocation per packet. libsrtp2 clones its per-SSRC state the first time
// it meets an SSRC (once per source, not per packet).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tw::telephony {

/// What the receiver refused, by reason.
struct SrtpCounters {
  std::uint64_t unprotected = 0;     ///< datagrams authenticated and decrypted
  std::uint64_t auth_failures = 0;   ///< failed authentication (wrong key, tampered): dropped
  std::uint64_t replays = 0;         ///< already received or too old for the replay window: dropped
  std::uint64_t other_failures = 0;  ///< too short, or another libsrtp2 refusal: dropped
};

class SrtpReceiver {
 public:
  /// `suite`: "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32" (RFC 4568 §6.2);
  /// `master_key_and_salt`: its 30 octets. Throws std::invalid_argument for another suite
  /// or key length, std::runtime_error if libsrtp2 refuses.
  SrtpReceiver(std::string_view suite, std::string_view master_key_and_salt);
  ~SrtpReceiver();
  SrtpReceiver(const SrtpReceiver&) = delete;
  SrtpReceiver& operator=(const SrtpReceiver&) = delete;

  /// The plain RTP or RTCP packet of `datagram`, or an empty span when it was refused
  /// (counted). RTCP is told from RTP by its packet type (RFC 5761 §4), so a stream that
  /// multiplexes them on one port works too. The span lives until the next call.
  std::span<const std::uint8_t> unprotect(std::span<const std::uint8_t> datagram) noexcept;

  const SrtpCounters& counters() const noexcept { return counters_; }

 private:
  void* session_ = nullptr;  // srtp_t
  std::vector<std::uint8_t> buffer_;
  SrtpCounters counters_;
};

}  // namespace tw::telephony
