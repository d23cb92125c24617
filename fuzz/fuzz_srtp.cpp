// libFuzzer target: SRTP in (telephony/srtp_receiver.h) on datagrams from anyone who can
// reach an RTP port: libsrtp2 reads the headers (CSRC count, extension length, the SRTCP
// index) before it can authenticate anything, so those reads see attacker bytes. The
// first byte picks the suite (bit 0: _32 instead of _80); the rest is datagrams, each a
// 2-byte big-endian length then its bytes. What authenticates (nothing, without the key,
// unless a seed carries a real packet) goes on into a jitter buffer as the server does.
// Seeds (fuzz/corpus/fuzz_srtp/): an RTP header with CSRCs and an extension, an RTCP
// header, and a run of short datagrams.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_sink.h"
#include "telephony/rtp_jitter_buffer.h"
#include "telephony/srtp_receiver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const std::string key("0123456789abcdef0123456789abcd", 30);
  tw::telephony::SrtpReceiver receiver((data[0] & 1) != 0 ? "AES_CM_128_HMAC_SHA1_32" : "AES_CM_128_HMAC_SHA1_80", key);
  tw::fuzz::CheckingSink sink;
  tw::telephony::RtpJitterBuffer buffer(sink, tw::telephony::RtpJitterConfig{});
  std::size_t at = 1;
  std::int64_t arrival = 0;
  while (at + 2 <= size) {
    const std::size_t length = (static_cast<std::size_t>(data[at]) << 8) | data[at + 1];
    at += 2;
    if (length > size - at) break;
    const auto plain = receiver.unprotect(std::span<const std::uint8_t>(data + at, length));
    if (!plain.empty()) buffer.on_datagram(plain, arrival);
    at += length;
    arrival += 160;
  }
  buffer.flush();
  const auto& c = receiver.counters();
  // Every datagram is counted once: taken, or refused for one reason.
  const std::uint64_t seen = c.unprotected + c.auth_failures + c.replays + c.other_failures;
  if (seen * 2 + 1 > size) __builtin_trap();  // more datagrams counted than could fit in the input
  return 0;
}
