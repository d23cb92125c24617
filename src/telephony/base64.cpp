#include "telephony/base64.h"

#include <array>

namespace tw::telephony {
namespace {

constexpr std::uint8_t kInvalid = 0xFF;

// RFC 4648 Table 1: A-Z a-z 0-9 + /
constexpr std::array<std::uint8_t, 256> make_decode_table() noexcept {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

}  // namespace

std::optional<std::size_t> base64_decode(std::string_view text, std::span<std::uint8_t> out) noexcept {
  // Strip at most two '=' of padding; with padding the length must be a multiple of 4.
  std::size_t length = text.size();
  std::size_t padding = 0;
  while (length > 0 && padding < 2 && text[length - 1] == '=') {
    --length;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
  const std::size_t tail = length % 4;
  if (tail == 1) return std::nullopt;  // 6 bits cannot make a byte
  const std::size_t bytes = length / 4 * 3 + (tail == 0 ? 0 : tail - 1);
  if (bytes > out.size()) return std::nullopt;

  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    const std::uint8_t a = kDecode[static_cast<unsigned char>(text[i])];
    const std::uint8_t b = kDecode[static_cast<unsigned char>(text[i + 1])];
    const std::uint8_t c = kDecode[static_cast<unsigned char>(text[i + 2])];
    const std::uint8_t d = kDecode[static_cast<unsigned char>(text[i + 3])];
    if (((a | b | c | d) & 0xC0) != 0) return std::nullopt;  // valid values are below 64
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }
  if (tail >= 2) {
    const std::uint8_t a = kDecode[static_cast<unsigned char>(text[i])];
    const std::uint8_t b = kDecode[static_cast<unsigned char>(text[i + 1])];
    if (a == kInvalid || b == kInvalid) return std::nullopt;
    std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12);
    if (tail == 3) {
      const std::uint8_t c = kDecode[static_cast<unsigned char>(text[i + 2])];
      if (c == kInvalid) return std::nullopt;
      v |= std::uint32_t{c} << 6;
      // RFC 4648 §3.5: the unused low bits of the last character must be zero.
      if ((c & 0x03) != 0) return std::nullopt;
    } else if ((b & 0x0F) != 0) {
      return std::nullopt;
    }
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    if (tail == 3) out[o++] = static_cast<std::uint8_t>(v >> 8);
  }
  return o;
}

}  // namespace tw::telephony
