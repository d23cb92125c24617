// Paths as text: well-formed UTF-8 passes untouched, every other byte becomes
// \xNN, and the hex form gives back the exact bytes.

#include <catch2/catch.hpp>

#include <string>

#include "io/path_text.h"

using tw::io::escape_invalid_utf8;
using tw::io::is_valid_utf8;

TEST_CASE("well-formed UTF-8 is kept as it is", "[io][path]") {
  for (const std::string& text : {std::string("call-2026-11-29.wav"), std::string("anruf-m\xC3\xBCller.wav"),
                                 std::string("\xE9\x80\x9A\xE8\xA9\xB1.wav"), std::string("\xF0\x9F\x93\x9E.wav"),
                                 std::string("\xEF\xBF\xBD"), std::string("\xF4\x8F\xBF\xBF"), std::string()}) {
    INFO(text);
    CHECK(is_valid_utf8(text));
    CHECK(escape_invalid_utf8(text) == text);
  }
}

TEST_CASE("each byte outside a well-formed UTF-8 sequence becomes backslash x and two hex digits", "[io][path]") {
  struct Case {
    std::string bytes;
    std::string escaped;
    const char* what;
  };
  const Case cases[] = {
      {"caf\xE9.wav", "caf\\xE9.wav", "Latin-1 e-acute"},
      {"\xFF", "\\xFF", "never a UTF-8 byte"},
      {"a\x80" "b", "a\\x80b", "a lone continuation byte"},
      {"\xC0\xAF", "\\xC0\\xAF", "an overlong slash (C0)"},
      {"\xE0\x80\xAF", "\\xE0\\x80\\xAF", "an overlong three-byte form"},
      {"\xED\xA0\x80", "\\xED\\xA0\\x80", "a UTF-16 surrogate"},
      {"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80", "above U+10FFFF"},
      {"\xF5\x80\x80\x80", "\\xF5\\x80\\x80\\x80", "a lead byte above F4"},
      {"x\xE2\x82", "x\\xE2\\x82", "a sequence cut short at the end"},
      {"\xE2\x82(", "\\xE2\\x82(", "a sequence cut short by ASCII"},
      {"\xC3\xBC\xFC", "\xC3\xBC\\xFC", "UTF-8 u-umlaut then Latin-1 u-umlaut"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK_FALSE(is_valid_utf8(c.bytes));
    CHECK(escape_invalid_utf8(c.bytes) == c.escaped);
    CHECK(is_valid_utf8(escape_invalid_utf8(c.bytes)));
  }
}

TEST_CASE("hex gives back every byte value", "[io][path]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string hex = tw::io::to_hex(all);
  CHECK(hex.size() == 512);
  CHECK(hex.substr(0, 6) == "000102");
  CHECK(hex.substr(506) == "fdfeff");
  CHECK(tw::io::from_hex(hex) == all);
  CHECK(tw::io::from_hex("C3bc") == "\xC3\xBC");
  CHECK_THROWS_AS(tw::io::from_hex("abc"), std::invalid_argument);
  CHECK_THROWS_AS(tw::io::from_hex("zz"), std::invalid_argument);
}
