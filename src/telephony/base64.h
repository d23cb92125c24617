#pragma once
// Base64 decoding (RFC 4648 §4, standard alphabet) into a caller's buffer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tw::telephony {

/// Bytes that decoding `encoded_chars` characters can produce at most.
constexpr std::size_t base64_decoded_capacity(std::size_t encoded_chars) noexcept { return (encoded_chars + 3) / 4 * 3; }

/// Decodes `text` into `out` and returns the number of bytes written, or nullopt
/// if the text is not base64: a character outside the alphabet, '=' anywhere but
/// at the end, a length that leaves a single dangling character, non-zero unused
/// bits in the last character, or an `out` too small. Padding is optional
/// (RFC 4648 §3.2). No allocation; real-time safe.
std::optional<std::size_t> base64_decode(std::string_view text, std::span<std::uint8_t> out) noexcept;

}  // namespace tw::telephony
