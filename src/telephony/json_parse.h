#pragma once
// Full JSON parsing for the rare (non-audio) messages, with two guards: a NUL
// fix-up and a nesting limit checked before the parser runs.

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tw::telephony {

/// How deep a message from a platform may nest, counting the top-level object
/// as 1 (`{"a":[{}]}` is 3 deep). No platform message nests deeper than 5
/// (AudioHook's open: parameters.media[].channels[]); 32 leaves room for
/// whatever customConfig or metadata carries, and keeps every recursive walk
/// of a value (copy, dump, comparison) a few hundred bytes of stack.
inline constexpr int kMaxJsonDepth = 32;

/// Why parse_json_object gave no object.
enum class JsonRefusal {
  none,           ///< parsed: an object
  not_an_object,  ///< not JSON, or JSON that is not exactly one object (RFC 8259)
  too_deep,       ///< arrays/objects nested deeper than the limit (refused before parsing)
};

/// True if no array or object in `text` opens deeper than `max_depth`. One
/// linear pass, no allocation; brackets inside strings (with their escapes) do
/// not count. It does not validate: the parser does that afterwards, and for
/// valid JSON the depth found here is exactly the parser's.
inline bool json_depth_within(std::string_view text, int max_depth) noexcept {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is (\" included); \uXXXX's digits hold no quote or bracket
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

/// The JSON object a text message holds, or a value with is_discarded() true
/// if the message is not exactly one JSON object (RFC 8259) or nests deeper
/// than `max_depth`; `refusal`, if given, says which. The depth is checked
/// first, by json_depth_within: nlohmann parses without recursion, but copying,
/// dumping and comparing a value recurse once per level, and a 200 KB message
/// of 100,000 brackets overflowed a network thread's stack that way (issue 22).
/// A NUL byte is refused up front: nlohmann's lexer takes it as the end of
/// input, so "{}\0anything" would otherwise parse (found by fuzz_json_scan,
/// which checks the hot-path scanner against this function).
inline nlohmann::json parse_json_object(std::string_view text, int max_depth = kMaxJsonDepth,
                                        JsonRefusal* refusal = nullptr) {
  auto refuse = [refusal](JsonRefusal why) {
    if (refusal != nullptr) *refusal = why;
    return nlohmann::json(nlohmann::json::value_t::discarded);
  };
  if (!json_depth_within(text, max_depth)) return refuse(JsonRefusal::too_deep);
  if (text.find('\0') != std::string_view::npos) return refuse(JsonRefusal::not_an_object);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return refuse(JsonRefusal::not_an_object);
  if (refusal != nullptr) *refusal = JsonRefusal::none;
  return j;
}

}  // namespace tw::telephony
