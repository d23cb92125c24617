#pragma once
// The example call as two PCMU RTP streams over loopback UDP, for the SIPREC media tests:
// what an SRC forking the call would send (RFC 3550 §5.1 headers, 20 ms packets).

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace tw::test {

/// The example call's two channels as µ-law codes (the file is µ-law: decoding and
/// encoding again gives the same values).
struct PcmuCall {
  std::vector<std::uint8_t> caller, agent;
  /// 20 ms packets in the call (per stream).
  std::size_t packets() const noexcept { return caller.size() / 160; }
};
PcmuCall example_call_pcmu();

/// An RTP packet: version 2, PT `payload_type` (0: PCMU), then `size` octets.
std::vector<std::uint8_t> pcmu_rtp_packet(std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc,
                                          const std::uint8_t* payload, std::size_t size, std::uint8_t payload_type = 0);

/// SRTP out (RFC 3711) as an SRC keyed with SDES sends it, for the tests: libsrtp2
/// protecting packets in place. One per stream.
class SrtpSender {
 public:
  /// `suite`: "AES_CM_128_HMAC_SHA1_80" or "_32"; `key`: 30 octets of master key and salt.
  SrtpSender(const std::string& suite, const std::string& key);
  ~SrtpSender();
  SrtpSender(const SrtpSender&) = delete;
  SrtpSender& operator=(const SrtpSender&) = delete;
  /// Encrypts and authenticates an RTP packet (it grows by the tag).
  void protect(std::vector<std::uint8_t>& packet);

 private:
  void* session_ = nullptr;
};

/// How to send (part of) the call. Stream 0 is the caller, 1 the agent; packet k of
/// stream s has sequence 1000 s + k, timestamp 160 k + 7777 s + timestamp_offset and SSRC
/// 0x1234 + s, so parts sent separately continue one another.
struct RtpPlay {
  std::array<std::uint16_t, 2> ports{};
  double speed = 10.0;  ///< times real time
  std::size_t first_packet = 0;
  std::size_t end_packet = std::numeric_limits<std::size_t>::max();
  std::uint32_t timestamp_offset = 0;  ///< the sender's clock ran on this many ticks (a hold)
  std::function<bool(int stream, std::size_t packet)> keep;  ///< null: every packet is sent
  std::function<bool(int stream, std::size_t packet)> swap;  ///< true: sent after its successor
  /// Applied to each packet before it is sent (SRTP: SrtpSender::protect); null: plain RTP.
  std::function<void(int stream, std::vector<std::uint8_t>& packet)> protect;
  /// Each stream's payload type: 0 (PCMU) or 9 (G.722, whose octets then fill the
  /// PcmuCall's vector for that stream: one octet per 8 kHz RTP tick as well).
  std::array<std::uint8_t, 2> payload_types{0, 0};
};

/// Sends both streams, paced at `speed`, then waits 100 ms for the receiver to read them.
void play_pcmu(const PcmuCall& call, const RtpPlay& play);

}  // namespace tw::test
