// libFuzzer target: base64 decoding. Whatever decodes must re-encode (RFC 4648,
// padded) to the input with its padding completed.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "telephony/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static std::array<std::uint8_t, 1 << 16> out;
  const auto n = tw::telephony::base64_decode(text, out);
  if (!n) return 0;
  if (*n > tw::telephony::base64_decoded_capacity(size)) __builtin_trap();
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < *n; i += 3) {
    const std::uint32_t v = (std::uint32_t{out[i]} << 16) | (i + 1 < *n ? std::uint32_t{out[i + 1]} << 8 : 0) |
                            (i + 2 < *n ? out[i + 2] : 0);
    encoded += kAlphabet[(v >> 18) & 63];
    encoded += kAlphabet[(v >> 12) & 63];
    encoded += i + 1 < *n ? kAlphabet[(v >> 6) & 63] : '=';
    encoded += i + 2 < *n ? kAlphabet[v & 63] : '=';
  }
  std::string padded(text);
  while (padded.size() % 4 != 0) padded += '=';
  if (encoded != padded) __builtin_trap();
  return 0;
}
