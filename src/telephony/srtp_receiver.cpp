#include "telephony/srtp_receiver.h"

#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include <srtp2/srtp.h>

namespace tw::telephony {
namespace {

std::once_flag g_srtp_once;

// Longest datagram the UDP receiver delivers whole (net::UdpReceiver::kMaxDatagramBytes);
// SRTP only adds to RTP, so its plain text fits in as much.
constexpr std::size_t kMaxDatagram = 1500;

}  // namespace

SrtpReceiver::SrtpReceiver(std::string_view suite, std::string_view master_key_and_salt) : buffer_(kMaxDatagram) {
  if (master_key_and_salt.size() != 30)
    throw std::invalid_argument("SRTP: a master key and salt is 30 octets, got " + std::to_string(master_key_and_salt.size()));
  // Once per process. A second srtp_init (another user in the process initialised the
  // library first) fails while the library works: so its result is not checked here, and
  // srtp_create below fails if the library really is unusable.
  std::call_once(g_srtp_once, [] { (void)srtp_init(); });
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  if (suite == "AES_CM_128_HMAC_SHA1_80") {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
  } else if (suite == "AES_CM_128_HMAC_SHA1_32") {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
  } else {
    throw std::invalid_argument("SRTP: suite '" + std::string(suite) + "' is not AES_CM_128_HMAC_SHA1_80 or _32");
  }
  // SRTCP keeps the 80-bit tag with either suite (RFC 4568 §6.2.2, RFC 3711 §5.2).
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  policy.ssrc.type = ssrc_any_inbound;  // whatever SSRC the SRC uses, and a new one after a change
  unsigned char key[30];
  std::memcpy(key, master_key_and_salt.data(), sizeof key);
  policy.key = key;
  // Wide enough for the jitter buffer's reorder window at any packet rate we take.
  policy.window_size = 1024;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) throw std::runtime_error("SRTP: srtp_create refused the key");
  session_ = session;
}

SrtpReceiver::~SrtpReceiver() {
  if (session_ != nullptr) srtp_dealloc(static_cast<srtp_t>(session_));
}

std::span<const std::uint8_t> SrtpReceiver::unprotect(std::span<const std::uint8_t> datagram) noexcept {
  if (datagram.size() < 12 || datagram.size() > buffer_.size()) {
    ++counters_.other_failures;
    return {};
  }
  std::memcpy(buffer_.data(), datagram.data(), datagram.size());
  int length = static_cast<int>(datagram.size());
  // RFC 5761 §4: RTCP packet types 192-223 sit where RTP has its marker and payload type.
  const bool rtcp = datagram[1] >= 192 && datagram[1] <= 223;
  const srtp_err_status_t status = rtcp ? srtp_unprotect_rtcp(static_cast<srtp_t>(session_), buffer_.data(), &length)
                                        : srtp_unprotect(static_cast<srtp_t>(session_), buffer_.data(), &length);
  switch (status) {
    case srtp_err_status_ok:
      ++counters_.unprotected;
      return {buffer_.data(), static_cast<std::size_t>(length)};
    case srtp_err_status_auth_fail: ++counters_.auth_failures; break;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: ++counters_.replays; break;
    default: ++counters_.other_failures; break;
  }
  return {};
}

}  // namespace tw::telephony
