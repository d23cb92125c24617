#pragma once
// Strict parsing of the small decimal numbers protocols put in text.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tw::telephony {

/// A non-negative decimal integer of 1 to `max_digits` ASCII digits (no sign,
/// no spaces, no fraction), or nullopt. Real-time safe.
constexpr std::optional<std::int64_t> parse_decimal(std::string_view text, std::size_t max_digits = 15) noexcept {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace tw::telephony
