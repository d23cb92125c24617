// libFuzzer target: the allocation-free JSON scanner, checked against the full
// parser the adapters use for other messages (parse_json_object, nlohmann). On
// ASCII input without \u escapes (where nlohmann also checks UTF-8 and
// surrogates) both must agree on whether the text is one JSON object, as long as
// it nests no deeper than the scanner's limit. One difference is by design:
// nlohmann refuses a number too large for a double (error 406, "number
// overflow", e.g. 5E1000), which RFC 8259 section 6 allows ("an implementation
// may set limits on the range ... of numbers"); the scanner checks grammar only
// and leaves range to whoever converts the value. Found by CI's fuzz run.

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

// True if nlohmann refuses the text only because a number overflows a double.
bool number_overflow(std::string_view text) {
  try {
    (void)nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {
    return e.id == 406;
  } catch (const nlohmann::json::exception&) {
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t members = 0;
  const bool scanner_valid = tw::telephony::scan_json_object(
      text, [&](std::string_view, std::string_view, const tw::telephony::JsonValue& value) {
        members += value.raw.size() <= text.size();
      });
  // Past the depth limit both refuse, and the full parser refuses before parsing
  // (the pre-scan and the scanner count depth alike).
  if (depth(text) > tw::telephony::kMaxJsonDepth) {
    tw::telephony::JsonRefusal why = tw::telephony::JsonRefusal::none;
    if (scanner_valid || !tw::telephony::parse_json_object(text, tw::telephony::kMaxJsonDepth, &why).is_discarded() ||
        why != tw::telephony::JsonRefusal::too_deep) {
      __builtin_trap();
    }
    return 0;
  }
  for (const unsigned char c : text) {
    if (c >= 0x80) return 0;
  }
  if (text.find("\\u") != std::string_view::npos) return 0;
  const bool nlohmann_valid = !tw::telephony::parse_json_object(text).is_discarded();
  if (scanner_valid && !nlohmann_valid && number_overflow(text)) return 0;
  if (scanner_valid != nlohmann_valid) __builtin_trap();
  return 0;
}
