#pragma once
// ITU-T Recommendation G.711 (11/1988), "Pulse code modulation (PCM) of voice
// frequencies": the µ-law and A-law companding laws, decoded by table.
//
// Decoding follows the tables of G.711 (Table 2a/2b for µ-law, Table 1a/1b for
// A-law) scaled to 16-bit linear PCM the way telephony software does: the µ-law
// decision values are 14-bit (±8031, times 4 = ±32124) and the A-law ones 13-bit
// (±4032, times 8 = ±32256). These are the values libsndfile, sox and Asterisk
// produce, and the test checks them against libsndfile.
//
// Encoding rounds to the nearest quantisation interval of the same laws (the
// "decision values" of the tables); it exists for tools and tests that build
// telephone streams.

#include <array>
#include <cstdint>

#include "dsp/pcm16.h"

namespace tw::dsp {

namespace g711_detail {

// µ-law: all bits are inverted on the line, so a line code with bit 7 set is
// positive (G.711 §2, Table 2). Segment e (3 bits) and step m (4 bits)
// give the magnitude ((2m + 33) << e) - 33 in 14-bit units; times 4 for 16 bits.
constexpr std::int16_t mulaw_value(std::uint8_t code) noexcept {
  const int u = static_cast<std::uint8_t>(~code);
  const int exponent = (u >> 4) & 0x07;
  const int mantissa = u & 0x0F;
  const int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return static_cast<std::int16_t>((u & 0x80) ? -magnitude : magnitude);
}

// A-law: even bits are inverted on the line (XOR 0x55); sign bit set means
// positive (G.711 §3, Table 1). Segment 0 is linear with step 2 (13-bit units);
// segment e >= 1 has step 2^e from 2^(e+4). Times 8 for 16 bits.
constexpr std::int16_t alaw_value(std::uint8_t code) noexcept {
  const int a = code ^ 0x55;
  const int exponent = (a >> 4) & 0x07;
  const int mantissa = a & 0x0F;
  const int magnitude = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return static_cast<std::int16_t>((a & 0x80) ? magnitude : -magnitude);
}

template <std::int16_t (*Decode)(std::uint8_t) noexcept>
constexpr std::array<std::int16_t, 256> make_table() noexcept {
  std::array<std::int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[static_cast<std::size_t>(i)] = Decode(static_cast<std::uint8_t>(i));
  return table;
}

inline constexpr std::array<std::int16_t, 256> kMulawTable = make_table<mulaw_value>();
inline constexpr std::array<std::int16_t, 256> kAlawTable = make_table<alaw_value>();

}  // namespace g711_detail

/// 16-bit linear value of a G.711 µ-law code. Real-time safe (table look-up).
constexpr std::int16_t mulaw_to_linear(std::uint8_t code) noexcept { return g711_detail::kMulawTable[code]; }
/// 16-bit linear value of a G.711 A-law code. Real-time safe (table look-up).
constexpr std::int16_t alaw_to_linear(std::uint8_t code) noexcept { return g711_detail::kAlawTable[code]; }

/// G.711 µ-law code of a 16-bit linear sample (nearest quantisation level of the
/// 14-bit law, bias 33 as in G.711 Table 2). Real-time safe.
constexpr std::uint8_t linear_to_mulaw(std::int16_t sample) noexcept {
  int value = sample >> 2;  // 14-bit
  const int sign = value < 0 ? 0x80 : 0x00;  // before the inversion, bit 7 set means negative
  int magnitude = value < 0 ? -value : value;
  if (magnitude > 8158) magnitude = 8158;  // top of segment 7 minus the bias
  magnitude += 33;
  int exponent = 7;
  for (int mask = 0x1000; exponent > 0 && (magnitude & mask) == 0; mask >>= 1) --exponent;
  const int mantissa = (magnitude >> (exponent + 1)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

/// G.711 A-law code of a 16-bit linear sample (13-bit law of G.711 Table 1). Real-time safe.
constexpr std::uint8_t linear_to_alaw(std::int16_t sample) noexcept {
  int value = sample >> 3;  // 13-bit
  const int sign = value < 0 ? 0x00 : 0x80;
  int magnitude = value < 0 ? -value - 1 : value;  // one's complement below zero, as in G.711
  if (magnitude > 4095) magnitude = 4095;
  int exponent = 0;
  if (magnitude >= 32) {
    exponent = 1;
    for (int m = magnitude >> 6; m != 0 && exponent < 7; m >>= 1) ++exponent;
  }
  const int mantissa = exponent == 0 ? (magnitude >> 1) & 0x0F : (magnitude >> exponent) & 0x0F;
  return static_cast<std::uint8_t>((sign | (exponent << 4) | mantissa) ^ 0x55);
}

}  // namespace tw::dsp
