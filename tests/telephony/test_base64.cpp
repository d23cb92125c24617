// Base64 decoding: RFC 4648 §10 test vectors and every way a payload can be bad.

#include <catch2/catch.hpp>

#include <array>
#include <string>

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
