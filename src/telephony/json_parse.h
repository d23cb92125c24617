#pragma once
// Full JSON parsing for the rare (non-audio) messages, with one fix-up.

#include <string_view>

#include <nlohmann/json.hpp>

namespace tw::telephony {

/// The JSON object a text message holds, or a value with is_discarded() true
/// if the message is not exactly one JSON object (RFC 8259). A NUL byte is
/// refused up front: nlohmann's lexer takes it as the end of input, so
/// "{}\0anything" would otherwise parse (found by fuzz_json_scan, which checks
/// the hot-path scanner against this function).
inline nlohmann::json parse_json_object(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return j;
}

}  // namespace tw::telephony
