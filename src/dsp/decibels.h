#pragma once
// 10 log10(x) for power spectra, in a form the compiler vectorizes.
//
// The harmonic sieve takes the dB level of about 95 bins on most voiced hops;
// libm's log10f, one call per bin, was a tenth of a hop's whole cost. This is the
// same function to float rounding (within 3e-5 dB of the exact value from -150 to
// +100 dB, where 10 * log10f is within 1.3e-5; tests/dsp/test_decibels.cpp), written
// as arithmetic on the float's bits so that a loop over bins runs four at a time.

#include <bit>
#include <cstdint>

namespace tw::dsp {

/// 10 log10(x) for a positive, finite, normal x (the caller floors its input;
/// anything else gives a meaningless finite value, never a trap).
///
/// x = 2^e m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1),
/// |s| <= 0.172, by its series s + s^3/3 + s^5/5 + s^7/7 + s^9/9 (the next term is
/// below 1e-9). Then 10 log10 x = (10 / ln 10) (e ln 2 + ln m).
inline float power_to_db_fast(float x) noexcept {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  // The mantissa as a float in [1, 2), and the exponent; mantissas above sqrt(2)
  // are halved (exponent + 1), so that |s| stays small.
  const std::uint32_t mantissa_bits = (bits & 0x007fffffu) | 0x3f800000u;
  const bool high = mantissa_bits > 0x3fb504f3u;  // sqrt(2) = 1.41421354f
  const float m = std::bit_cast<float>(high ? mantissa_bits - 0x00800000u : mantissa_bits);
  const float e = static_cast<float>(static_cast<std::int32_t>((bits >> 23) & 0xffu) - 127 + (high ? 1 : 0));
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float series = s * (1.0f + s2 * (1.0f / 3.0f + s2 * (1.0f / 5.0f + s2 * (1.0f / 7.0f + s2 * (1.0f / 9.0f)))));
  constexpr float kDbPerNeper = 4.34294481903251827651f;  // 10 / ln 10
  constexpr float kLn2 = 0.693147180559945309417f;
  return kDbPerNeper * (e * kLn2 + 2.0f * series);
}

}  // namespace tw::dsp
