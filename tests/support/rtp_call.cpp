#include "support/rtp_call.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <catch2/catch.hpp>
#include <srtp2/srtp.h>

#include "build_paths.h"
#include "dsp/g711.h"
#include "dsp/pcm16.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "support/udp_sender.h"

namespace tw::test {

PcmuCall example_call_pcmu() {
  io::AudioFileSource file(build::source_dir() + "/examples/example_call.wav");
  const std::vector<float> all = io::read_all(file);
  PcmuCall c;
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    c.caller.push_back(dsp::linear_to_mulaw(dsp::to_pcm16(all[i])));
    c.agent.push_back(dsp::linear_to_mulaw(dsp::to_pcm16(all[i + 1])));
  }
  return c;
}

std::vector<std::uint8_t> pcmu_rtp_packet(std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc,
                                          const std::uint8_t* payload, std::size_t size, std::uint8_t payload_type) {
  std::vector<std::uint8_t> p(12 + size);
  p[0] = 0x80;
  p[1] = payload_type;
  p[2] = static_cast<std::uint8_t>(sequence >> 8);
  p[3] = static_cast<std::uint8_t>(sequence);
  for (int i = 0; i < 4; ++i) p[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  std::copy(payload, payload + size, p.begin() + 12);
  return p;
}

SrtpSender::SrtpSender(const std::string& suite, const std::string& key) {
  // The product initialises libsrtp2 too; a second srtp_init fails harmlessly (srtp_create
  // below is what must succeed).
  static const bool initialised = (srtp_init(), true);
  (void)initialised;
  REQUIRE(key.size() == 30);
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  if (suite == "AES_CM_128_HMAC_SHA1_32") {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
  } else {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
  }
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  unsigned char raw[30];
  std::memcpy(raw, key.data(), sizeof raw);
  policy.key = raw;
  policy.window_size = 128;
  srtp_t session = nullptr;
  REQUIRE(srtp_create(&session, &policy) == srtp_err_status_ok);
  session_ = session;
}

SrtpSender::~SrtpSender() { srtp_dealloc(static_cast<srtp_t>(session_)); }

void SrtpSender::protect(std::vector<std::uint8_t>& packet) {
  int length = static_cast<int>(packet.size());
  packet.resize(packet.size() + SRTP_MAX_TRAILER_LEN);
  REQUIRE(srtp_protect(static_cast<srtp_t>(session_), packet.data(), &length) == srtp_err_status_ok);
  packet.resize(static_cast<std::size_t>(length));
}

void play_pcmu(const PcmuCall& call, const RtpPlay& play) {
  UdpSender sender;
  constexpr std::size_t kPacket = 160;
  const std::size_t end = std::min(play.end_packet, call.packets());
  const auto tick = std::chrono::duration<double>(0.02 / play.speed);
  auto next = std::chrono::steady_clock::now();
  std::vector<std::uint8_t> held[2];
  for (std::size_t k = play.first_packet; k < end; ++k) {
    for (int s = 0; s < 2; ++s) {
      const std::vector<std::uint8_t>& all = s == 0 ? call.caller : call.agent;
      auto p = pcmu_rtp_packet(static_cast<std::uint16_t>(1000 * s + k),
                                     static_cast<std::uint32_t>(160 * k + 7777 * s) + play.timestamp_offset,
                                     static_cast<std::uint32_t>(0x1234 + s), all.data() + k * kPacket, kPacket,
                                     play.payload_types[static_cast<std::size_t>(s)]);
      if (play.keep && !play.keep(s, k)) continue;
      if (play.protect) play.protect(s, p);
      const auto port = play.ports[static_cast<std::size_t>(s)];
      if (play.swap && play.swap(s, k)) {
        held[s] = p;  // goes out after the next one
        continue;
      }
      sender.send(port, p);
      if (!held[s].empty()) {
        sender.send(port, held[s]);
        held[s].clear();
      }
    }
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(tick);
    std::this_thread::sleep_until(next);
  }
  for (int s = 0; s < 2; ++s) {
    if (!held[s].empty()) sender.send(play.ports[static_cast<std::size_t>(s)], held[s]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last datagrams read
}

}  // namespace tw::test
