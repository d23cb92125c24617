// Base64 decoding: RFC 4648 §10 test vectors and every way a payload can be bad.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "telephony/base64.h"

using tw::telephony::base64_decode;

namespace {
std::string decode(std::string_view text) {
  std::array<std::uint8_t, 64> out{};
  const auto n = base64_decode(text, out);
  REQUIRE(n.has_value());
  return std::string(reinterpret_cast<const char*>(out.data()), *n);
}
bool rejects(std::string_view text) {
  std::array<std::uint8_t, 64> out{};
  return !base64_decode(text, out).has_value();
}
}  // namespace

TEST_CASE("base64 decodes the RFC 4648 test vectors with and without padding", "[telephony][base64]") {
  CHECK(decode("") == "");
  CHECK(decode("Zg==") == "f");
  CHECK(decode("Zm8=") == "fo");
  CHECK(decode("Zm9v") == "foo");
  CHECK(decode("Zm9vYg==") == "foob");
  CHECK(decode("Zm9vYmE=") == "fooba");
  CHECK(decode("Zm9vYmFy") == "foobar");
  CHECK(decode("Zg") == "f");
  CHECK(decode("Zm9vYmE") == "fooba");
  CHECK(decode("+/+/") == std::string("\xfb\xff\xbf", 3));
}

TEST_CASE("base64 rejects characters padding and lengths outside RFC 4648", "[telephony][base64]") {
  CHECK(rejects("Zm9v!"));          // outside the alphabet
  CHECK(rejects("Zm9v Yg=="));      // whitespace
  CHECK(rejects("Zm-v"));           // base64url alphabet is not this one
  CHECK(rejects("Z"));              // one dangling character
  CHECK(rejects("Zm9vY"));          // five characters
  CHECK(rejects("Zg=a"));           // '=' inside
  CHECK(rejects("Zg="));            // padded but not a multiple of 4
  CHECK(rejects("Zg==="));          // too much padding
  CHECK(rejects("Zh=="));           // non-zero unused bits (RFC 4648 §3.5)
  CHECK(rejects("Zm9="));
  std::array<std::uint8_t, 2> small{};
  CHECK_FALSE(base64_decode("Zm9v", small).has_value());  // output too small
}

namespace {
// RFC 4648 §4 encoding with padding, written here apart from the decoder under test.
std::string encode(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (n > 1) v |= std::uint32_t{bytes[i + 1]} << 8;
    if (n > 2) v |= bytes[i + 2];
    text += kAlphabet[(v >> 18) & 63];
    text += kAlphabet[(v >> 12) & 63];
    text += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    text += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return text;
}
}  // namespace

TEST_CASE("base64 decodes every byte value at every length up to 300 with and without padding", "[telephony][base64]") {
  std::mt19937 rng(20261207);
  std::vector<std::uint8_t> out(400);
  for (std::size_t length = 0; length <= 300; ++length) {
    INFO("length " << length);
    std::vector<std::uint8_t> bytes(length);
    for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<std::uint8_t>(length < 256 ? (i + length) % 256 : rng());
    const std::string padded = encode(bytes);
    std::string bare = padded;
    while (!bare.empty() && bare.back() == '=') bare.pop_back();
    for (const std::string& text : {padded, bare}) {
      const auto n = base64_decode(text, out);
      REQUIRE(n.has_value());
      CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == bytes);
    }
  }
}

TEST_CASE("base64 rejects a character outside the alphabet at every place of a media payload", "[telephony][base64]") {
  // A Twilio media payload: 160 mu-law bytes, 216 characters.
  std::vector<std::uint8_t> bytes(160);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
  const std::string good = encode(bytes);
  REQUIRE(good.size() == 216);
  std::vector<std::uint8_t> out(200);
  REQUIRE(base64_decode(good, out).has_value());
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (const char bad : {'!', ' ', '-', '_', '=', '\0', '\x80', '\xff', '\n'}) {
      std::string text = good;
      text[at] = bad;
      INFO("offset " << at << " byte " << static_cast<int>(static_cast<unsigned char>(bad)));
      if (text == good) continue;  // '=' over the payload's own padding ("...==")
      CHECK_FALSE(base64_decode(text, out).has_value());
    }
  }
}
