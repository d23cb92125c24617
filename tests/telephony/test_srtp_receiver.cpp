// SRTP in (telephony/srtp_receiver.h): packets protected by libsrtp2 as an SRC would send
// them (RFC 3711, a key as SDES gives it), back to the exact plain RTP; a tampered packet,
// a replay and a wrong key are refused and counted.

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <srtp2/srtp.h>

#include "support/rtp_call.h"
#include "telephony/srtp_receiver.h"

namespace {

const std::string kKey = std::string("0123456789abcdef0123456789abcd", 30);

std::vector<std::uint8_t> plain_packet(std::uint16_t sequence) {
  std::vector<std::uint8_t> payload(160);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + sequence);
  return tw::test::pcmu_rtp_packet(sequence, 160u * sequence, 0xABCD, payload.data(), payload.size());
}

}  // namespace

TEST_CASE("SRTP packets protected with the SDES key come back as the exact RTP / tampered or replayed or foreign ones are refused",
          "[rtp][srtp][security]") {
  for (const char* suite : {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}) {
    INFO(suite);
    tw::test::SrtpSender sender(suite, kKey);
    tw::telephony::SrtpReceiver receiver(suite, kKey);
    for (std::uint16_t k = 0; k < 20; ++k) {
      const auto plain = plain_packet(k);
      auto secured = plain;
      sender.protect(secured);
      CHECK(secured.size() > plain.size());  // the authentication tag
      CHECK(std::memcmp(secured.data() + 12, plain.data() + 12, 160) != 0);  // encrypted
      const auto out = receiver.unprotect(secured);
      REQUIRE(out.size() == plain.size());
      CHECK(std::equal(out.begin(), out.end(), plain.begin()));
      if (k == 5) CHECK(receiver.unprotect(secured).empty());  // the same packet again: a replay
    }
    {
      // A new packet changed on the way (one payload bit): it fails authentication.
      auto tampered = plain_packet(40);
      sender.protect(tampered);
      tampered[20] ^= 0x01;
      CHECK(receiver.unprotect(tampered).empty());
    }
    CHECK(receiver.counters().unprotected == 20);
    CHECK(receiver.counters().replays == 1);
    CHECK(receiver.counters().auth_failures == 1);
    // Another key: nothing authenticates.
    tw::telephony::SrtpReceiver stranger(suite, std::string("fedcba9876543210fedcba98765432", 30));
    auto secured = plain_packet(30);
    sender.protect(secured);
    CHECK(stranger.unprotect(secured).empty());
    CHECK(stranger.counters().auth_failures == 1);
  }
  CHECK_THROWS_AS(tw::telephony::SrtpReceiver("AES_CM_128_HMAC_SHA1_80", "short"), std::invalid_argument);
  CHECK_THROWS_AS(tw::telephony::SrtpReceiver("F8_128_HMAC_SHA1_80", kKey), std::invalid_argument);
}
