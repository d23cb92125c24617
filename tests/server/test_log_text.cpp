// Log lines carry what peers send (call ids, user names, reasons): one line each, no terminal escapes.

#include <catch2/catch.hpp>

#include <sstream>

#include "server/log_text.h"

TEST_CASE("log text escapes control characters and backslashes and keeps UTF-8", "[server][log][security]") {
  using tw::server::escape_log_text;
  CHECK(escape_log_text("call 42 from 10.0.0.1:5000") == "call 42 from 10.0.0.1:5000");
  CHECK(escape_log_text("a\nb\r\x1b[31m\x7f") == "a\\x0ab\\x0d\\x1b[31m\\x7f");
  CHECK(escape_log_text(std::string("nul\0end", 7)) == "nul\\x00end");
  CHECK(escape_log_text("C:\\x0a") == "C:\\\\x0a");  // a typed \x0a is not an escaped newline
  CHECK(escape_log_text("Mar\xc3\xad" "a") == "Mar\xc3\xad" "a");
  std::ostringstream out;
  tw::server::log_line(&out, "stream for call x\nforged");
  CHECK(out.str() == "tonewatch serve: stream for call x\\x0aforged\n");
  tw::server::log_line(nullptr, "nothing");  // no log: nothing happens
}
