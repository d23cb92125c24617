// libFuzzer target: the allocation-free JSON scanner, checked against the full
// parser the adapters use for other messages (parse_json_object, nlohmann). On
// ASCII input without \u escapes (where nlohmann also checks UTF-8 and
// surrogates) both must agree on whether the text is one JSON object, as long as
// it nests no deeper than the scanner's limit.

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "telephony/json_parse.h"
#include "telephony/json_scan.h"

namespace {
int depth(std::string_view text) {
  int d = 0, max = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max = std::max(max, ++d);
    } else if (c == '}' || c == ']') {
      --d;
    }
  }
  return max;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t members = 0;
  const bool scanner_valid = tw::telephony::scan_json_object(
      text, [&](std::string_view, std::string_view, const tw::telephony::JsonValue& value) {
        members += value.raw.size() <= text.size();
      });
  for (const unsigned char c : text) {
    if (c >= 0x80) return 0;
  }
  if (text.find("\\u") != std::string_view::npos || depth(text) > 32) return 0;
  const bool nlohmann_valid = !tw::telephony::parse_json_object(text).is_discarded();
  if (scanner_valid != nlohmann_valid) __builtin_trap();
  return 0;
}
