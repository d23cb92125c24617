// The allocation-free JSON scanner of the Twilio hot path.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "telephony/json_parse.h"
#include "telephony/json_scan.h"

using tw::telephony::JsonValue;
using tw::telephony::scan_json_object;

namespace {
struct Seen {
  std::string parent, key, raw;
  JsonValue::Kind kind;
  bool escaped;
};
std::vector<Seen> scan(std::string_view text, bool* valid) {
  std::vector<Seen> seen;
  *valid = scan_json_object(text, [&](std::string_view parent, std::string_view key, const JsonValue& v) {
    seen.push_back({std::string(parent), std::string(key), std::string(v.raw), v.kind, v.escaped});
  });
  return seen;
}
}  // namespace

TEST_CASE("JSON scanner reports top-level and second-level members of a Twilio media message", "[telephony][json]") {
  bool valid = false;
  const auto seen = scan(
      R"({"event":"media","sequenceNumber":"3","media":{"track":"outbound","chunk":"1","timestamp":"5","payload":"no+JhoaJjpz"},"streamSid":"MZ1"})",
      &valid);
  REQUIRE(valid);
  REQUIRE(seen.size() == 8);
  CHECK((seen[0].parent == "" && seen[0].key == "event" && seen[0].raw == "media"));
  CHECK((seen[2].parent == "media" && seen[2].key == "track" && seen[2].raw == "outbound"));
  CHECK((seen[5].parent == "media" && seen[5].key == "payload" && seen[5].raw == "no+JhoaJjpz"));
  CHECK((seen[6].key == "media" && seen[6].kind == JsonValue::Kind::object));
  CHECK((seen[7].key == "streamSid" && seen[7].raw == "MZ1"));
}

TEST_CASE("JSON scanner reports no third-level members and flags escapes", "[telephony][json]") {
  bool valid = false;
  const auto seen = scan(R"( {"a": {"b": {"c": 1}, "d": [1, {"e": 2}], "s": "x\"y"}, "n": -1.5e3, "t": true} )", &valid);
  REQUIRE(valid);
  for (const auto& s : seen) CHECK(s.key != "c");
  for (const auto& s : seen) CHECK(s.key != "e");
  bool escaped_seen = false;
  for (const auto& s : seen) {
    if (s.key == "s") escaped_seen = s.escaped && s.raw == R"(x\"y)";
    if (s.key == "n") CHECK((s.kind == JsonValue::Kind::number && s.raw == "-1.5e3"));
    if (s.key == "t") CHECK(s.kind == JsonValue::Kind::literal);
  }
  CHECK(escaped_seen);
}

TEST_CASE("JSON scanner rejects text that is not exactly one valid object", "[telephony][json]") {
  const char* bad[] = {
      "",                       // empty
      "[1,2]",                  // not an object
      R"({"a":1)",              // unterminated
      R"({"a":1} x)",           // trailing garbage
      R"({"a":01})",            // leading zero
      R"({"a":1.})",            // fraction without digits
      R"({"a":-})",             // sign alone
      R"({"a":"\x"})",          // bad escape
      R"({"a":"\u12"})",        // short unicode escape
      "{\"a\":\"\x01\"}",       // raw control character
      R"({"a":tru})",           // bad literal
      R"({"a" 1})",             // missing colon
      R"({"a":1,})",            // trailing comma
      R"({a:1})",               // unquoted key
      R"({"a":[1,2})",          // unclosed array
  };
  for (const char* text : bad) {
    bool valid = true;
    scan(text, &valid);
    INFO(text);
    CHECK_FALSE(valid);
  }
  // Nesting beyond the depth limit is refused instead of recursing without bound.
  std::string deep(100, '[');
  deep = "{\"a\":" + deep + std::string(100, ']') + "}";
  bool valid = true;
  scan(deep, &valid);
  CHECK_FALSE(valid);
}

// The scanner tests strings eight bytes at a time and falls back to one byte at a
// time at a word holding a quote, a backslash or a control character. Each of
// those at every offset across three words must be found where a byte-by-byte
// reading finds it, and the bytes that may stand unescaped (space, DEL, UTF-8)
// must pass at every offset.
TEST_CASE("JSON scanner finds a string's quote escape or control byte at every offset", "[telephony][json]") {
  const auto value_of = [](std::string_view text, std::string_view key, bool* valid) {
    std::string raw = "<absent>";
    *valid = scan_json_object(text, [&](std::string_view, std::string_view k, const JsonValue& v) {
      if (k == key) raw = std::string(v.raw) + (v.escaped ? "|escaped" : "");
    });
    return raw;
  };
  // Past two 16-byte blocks and an 8-byte word of the fast skip, from every start.
  constexpr std::size_t kLength = 42;
  for (std::size_t at = 0; at <= kLength; ++at) {
    INFO("offset " << at);
    const std::string before(at, 'A');
    const std::string after(kLength - at, 'B');
    bool valid = false;
    // A closing quote ends the string there; the next member is read after it.
    CHECK(value_of("{\"k\":\"" + before + "\",\"z\":\"" + after + "C\"}", "k", &valid) == before);
    CHECK(valid);
    CHECK(value_of("{\"k\":\"" + before + "\",\"z\":\"" + after + "C\"}", "z", &valid) == after + "C");
    // An escaped quote does not end it.
    CHECK(value_of("{\"k\":\"" + before + "\\\"" + after + "\"}", "k", &valid) ==
          before + "\\\"" + after + "|escaped");
    CHECK(valid);
    // Control characters must be escaped (RFC 8259 §7); 0x20, DEL and UTF-8 need not.
    for (const char control : {'\x00', '\x01', '\x1f', '\n'}) {
      value_of("{\"k\":\"" + before + control + after + "\"}", "k", &valid);
      CHECK_FALSE(valid);
    }
    // Bytes from 0x80 up are no control characters (a signed compare would take them for some).
    for (const char* plain : {" ", "\x7f", "\x80", "\x9f", "\xff", "\xc3\xa9"}) {
      CHECK(value_of("{\"k\":\"" + before + plain + after + "\"}", "k", &valid) == before + plain + after);
      CHECK(valid);
    }
    // A string cut off inside the text.
    value_of("{\"k\":\"" + before, "k", &valid);
    CHECK_FALSE(valid);
  }
}

TEST_CASE("Full JSON parsing refuses a NUL byte that nlohmann would take as the end of input", "[telephony][json]") {
  using namespace std::string_literals;
  CHECK(tw::telephony::parse_json_object("{}\0{\"a\":1}"s).is_discarded());
  CHECK(tw::telephony::parse_json_object("{\"a\":1}\0"s).is_discarded());
  CHECK_FALSE(tw::telephony::parse_json_object(R"({"a":1})").is_discarded());
  CHECK(tw::telephony::parse_json_object("[1]").is_discarded());
  // The scanner agrees.
  CHECK_FALSE(scan_json_object("{}\0"s, [](auto, auto, const JsonValue&) {}));
}

namespace {
// `{"x":` + `[`×(depth-1) + `]`×(depth-1) + `}`: an object `depth` deep.
std::string nested_object(int depth) {
  const auto inner = static_cast<std::size_t>(depth - 1);
  return "{\"x\":" + std::string(inner, '[') + std::string(inner, ']') + "}";
}
}  // namespace

TEST_CASE("JSON depth pre-scan counts the brackets outside strings only", "[telephony][json][security]") {
  using tw::telephony::json_depth_within;
  CHECK(json_depth_within("{}", 1));
  CHECK_FALSE(json_depth_within("{}", 0));
  CHECK(json_depth_within(R"({"a":[{"b":[]}]})", 4));
  CHECK_FALSE(json_depth_within(R"({"a":[{"b":[]}]})", 3));
  // Brackets in strings, escaped quotes and backslashes do not count.
  CHECK(json_depth_within(R"({"a":"[[[[{{{{","b":"\"[[[[","c":"\\"})", 1));
  CHECK_FALSE(json_depth_within(R"({"a":"\\",[[[]]]})", 3));  // the string ends after \\: the brackets count
  CHECK(json_depth_within(nested_object(32), 32));
  CHECK_FALSE(json_depth_within(nested_object(33), 32));
  // Siblings do not add up: depth is the deepest open bracket.
  std::string wide = "{\"a\":[";
  for (int i = 0; i < 1000; ++i) wide += "[[]],";
  wide += "[]]}";
  CHECK(json_depth_within(wide, 4));
}

TEST_CASE("parse_json_object refuses nesting past the limit before parsing and says why", "[telephony][json][security]") {
  using tw::telephony::JsonRefusal;
  using tw::telephony::parse_json_object;
  JsonRefusal why = JsonRefusal::none;
  CHECK_FALSE(parse_json_object(nested_object(32), 32, &why).is_discarded());
  CHECK(why == JsonRefusal::none);
  CHECK(parse_json_object(nested_object(33), 32, &why).is_discarded());
  CHECK(why == JsonRefusal::too_deep);
  CHECK(parse_json_object("[1]", 32, &why).is_discarded());
  CHECK(why == JsonRefusal::not_an_object);
  // The issue's message: 100,000 brackets in 200 KB. Refused without a parse (a
  // parse, copy and dump of it overflowed the stack of the thread that took it).
  CHECK(parse_json_object(nested_object(100000), tw::telephony::kMaxJsonDepth, &why).is_discarded());
  CHECK(why == JsonRefusal::too_deep);
  // The hot-path scanner's limit is the same.
  CHECK(scan_json_object(nested_object(32), [](auto, auto, const JsonValue&) {}));
  CHECK_FALSE(scan_json_object(nested_object(33), [](auto, auto, const JsonValue&) {}));
}
