#pragma once
// ASCII text helpers for protocol tokens: header and parameter names, media types, host
// names, file extensions, call ids. These are ASCII by their specs (RFC 9110 §5.1 field
// names, RFC 3261 §7.3.1 SIP header names, RFC 4343 DNS names), so they are folded
// byte by byte here and never through <cctype>, whose tolower() follows the process's
// locale (a Turkish locale folds 'I' to a dotless i) and is undefined for negative chars.
// Bytes outside A-Z, UTF-8 included, pass through unchanged.
//
// The base of every layer: header-only, no dependency.

#include <cstddef>
#include <string>
#include <string_view>

namespace tw::text {

/// `c` in ASCII lower case (other bytes unchanged).
constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// `text` in ASCII lower case.
inline std::string ascii_lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// ASCII case-insensitive equality.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// Whether `text` begins with `prefix`, ASCII case-insensitively.
constexpr bool ascii_istarts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

/// `text` without leading and trailing spaces and horizontal tabs: HTTP's optional
/// whitespace (RFC 9110 §5.6.3 OWS) and SIP's linear whitespace once unfolded (RFC 3261 §25.1).
constexpr std::string_view trim_spaces_and_tabs(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace tw::text
