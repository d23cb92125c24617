// text/ascii.h: protocol tokens fold by ASCII alone, whatever the process's locale.
#include <catch2/catch.hpp>

#include <clocale>
#include <string>

#include "text/ascii.h"

using namespace tw::text;

TEST_CASE("ASCII folding changes A-Z only and leaves UTF-8 and other bytes as they are", "[text]") {
  CHECK(ascii_lowered("Content-Type: TEXT/Plain") == "content-type: text/plain");
  CHECK(ascii_lowered("@[`{") == "@[`{");  // the neighbours of A-Z and a-z
  CHECK(ascii_lowered("\xC3\x9C" "BER") == "\xC3\x9C" "ber");  // "ÜBER": the Ü's bytes pass through
  CHECK(ascii_lowered("") == "");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string folded = ascii_lowered(all);
  for (int c = 0; c < 256; ++c) {
    const bool upper = c >= 'A' && c <= 'Z';
    CHECK(static_cast<unsigned char>(folded[static_cast<std::size_t>(c)]) == (upper ? c + 32 : c));
  }
}

TEST_CASE("case-insensitive comparison and prefix test of protocol tokens", "[text]") {
  CHECK(ascii_iequals("Retry-After", "retry-after"));
  CHECK_FALSE(ascii_iequals("Retry-After", "retry-afte"));
  CHECK_FALSE(ascii_iequals("a", "\xC3\xA1"));
  CHECK(ascii_istarts_with("RETRY-AFTER: 5", "retry-after:"));
  CHECK(ascii_istarts_with("x", ""));
  CHECK_FALSE(ascii_istarts_with("HTTP", "http/"));
  static_assert(ascii_iequals("SIP/2.0", "sip/2.0"));
}

TEST_CASE("trimming takes spaces and tabs only from both ends", "[text]") {
  CHECK(trim_spaces_and_tabs(" \t chunked \t") == "chunked");
  CHECK(trim_spaces_and_tabs("\r\nvalue\r\n") == "\r\nvalue\r\n");  // line ends are the parser's, not OWS
  CHECK(trim_spaces_and_tabs(" \t ").empty());
  CHECK(trim_spaces_and_tabs("a b") == "a b");
}

TEST_CASE("folding does not follow the process's locale", "[text]") {
  // Under a Turkish locale <cctype>'s tolower may fold 'I' to a dotless i (0xFD in
  // ISO-8859-9): a header "CONTENT-TYPE" would then never match "content-type".
  const char* const before = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = before ? before : "C";
  const bool turkish = std::setlocale(LC_CTYPE, "tr_TR.ISO-8859-9") != nullptr || std::setlocale(LC_CTYPE, "tr_TR.UTF-8") != nullptr;
  CHECK(ascii_lowered("CONTENT-TYPE IS") == "content-type is");
  CHECK(ascii_iequals("ID", "id"));
  std::setlocale(LC_CTYPE, saved.c_str());
  if (!turkish) SUCCEED("no Turkish locale installed: the folding was checked under the default locale only");
}
