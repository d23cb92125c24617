#pragma once
// File names as text: a Linux path is any byte string without NUL, but JSON,
// CSV and terminals want UTF-8. These helpers write any path losslessly.

#include <string>
#include <string_view>

namespace tw::io {

/// True when `bytes` is well-formed UTF-8 (RFC 3629: shortest form only, no
/// UTF-16 surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes) noexcept;

/// Length in bytes of the well-formed UTF-8 sequence starting at bytes[0], or 0
/// when none starts there.
std::size_t utf8_sequence_length(std::string_view bytes) noexcept;

/// `bytes` as valid UTF-8 for messages and JSON: well-formed sequences are kept
/// and every other byte is written as the four characters \xNN (uppercase hex).
/// The identity on valid UTF-8. Lossy in one case only (a valid name that itself
/// contains the text "\xNN"), so summaries also carry the exact bytes (to_hex).
std::string escape_invalid_utf8(std::string_view bytes);

/// Every byte as two lowercase hex digits.
std::string to_hex(std::string_view bytes);

/// Inverse of to_hex (either case). Throws std::invalid_argument for odd length
/// or a non-hex character.
std::string from_hex(std::string_view hex);

}  // namespace tw::io
