// The stream player's own encoders against the product's decoders: two readings
// of G.711 and base64 that must agree everywhere, and the player's AudioHook
// signature verified by the server's verifier.

#include <catch2/catch.hpp>

#include <array>
#include <random>

#include "dsp/g711.h"
#include "telephony/base64.h"
#include "telephony/http_signature.h"
#include "wire_format.h"

TEST_CASE("Stream player mu-law encoder agrees with the product's G.711 on every 16-bit value", "[tools][player][g711]") {
  int mismatches = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    mismatches += tw::player::mulaw_encode(s) != tw::dsp::linear_to_mulaw(s);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("Stream player base64 decodes back through the product's decoder", "[tools][player][base64]") {
  std::mt19937 rng(11);
  for (std::size_t size = 0; size < 300; ++size) {
    std::vector<std::uint8_t> bytes(size);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    const std::string text = tw::player::base64(bytes.data(), bytes.size());
    std::vector<std::uint8_t> decoded(size + 3);
    const auto n = tw::telephony::base64_decode(text, decoded);
    REQUIRE(n.has_value());
    decoded.resize(*n);
    CHECK(decoded == bytes);
  }
}

TEST_CASE("Stream player AudioHook signature verifies with the server's verifier and fails with another secret", "[tools][player][signature]") {
  std::mt19937_64 rng(3);
  const auto signed_headers = tw::player::audiohook_signed_headers("/audiohook?x=1", "127.0.0.1:9000", "key-1", "c2VjcmV0IGJ5dGVz",
                                                                   "org", "session", "correlation", 1700000000, rng);
  tw::telephony::HttpHeaders headers;
  for (const auto& [name, value] : signed_headers.headers) headers.push_back({name, value});
  tw::telephony::AudioHookAuthConfig config;
  config.credentials.push_back({"key-1", "c2VjcmV0IGJ5dGVz"});
  const tw::telephony::HttpRequestInfo request{"GET", "/audiohook?x=1", "127.0.0.1:9000"};
  const auto verdict = tw::telephony::verify_audiohook_request(request, headers, config, 1700000010);
  INFO(verdict.reason);
  CHECK(verdict.ok);
  config.credentials[0].client_secret = "b3RoZXIgYnl0ZXM=";
  CHECK_FALSE(tw::telephony::verify_audiohook_request(request, headers, config, 1700000010).ok);
  // The player's signatures live five minutes.
  config.credentials[0].client_secret = "c2VjcmV0IGJ5dGVz";
  CHECK_FALSE(tw::telephony::verify_audiohook_request(request, headers, config, 1700000000 + 300 + 31).ok);
}
