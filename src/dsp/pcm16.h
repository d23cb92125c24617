#pragma once
// 16-bit PCM and the [-1, 1) floats the analysis works in. Every network format
// tonewatch takes is 16-bit or less (G.711 decodes to it), so buffers that hold
// audio on its way to analysis keep it as 16-bit samples: lossless for those,
// and half the memory of floats.

#include <cmath>
#include <cstdint>

namespace tw::dsp {

/// Full-scale divisor that maps 16-bit PCM to floats in [-1, 1).
inline constexpr float kPcm16Scale = 1.0f / 32768.0f;

/// The nearest 16-bit sample to x in [-1, 1): clamped to the 16-bit range, NaN as
/// silence. Exact for any x that came from 16-bit PCM (x * 32768 is an integer).
/// Rounds half to even, as lrint does in the default rounding mode, but inline and
/// branch-free so that a loop over a block vectorizes: lrint is a libm call unless
/// math errno is off, and was 1 % of a live worker's time by itself.
inline std::int16_t to_pcm16(float x) noexcept {
  float y = x * 32768.0f;
  y = y < -32768.0f ? -32768.0f : (y > 32767.0f ? 32767.0f : y);
  // Adding and taking away 1.5 * 2^23 leaves no fraction bits for |y| < 2^22: the
  // sum is rounded to an integer by the FPU's own round-to-nearest-even (this needs
  // IEEE single arithmetic, which SSE gives; -ffast-math would fold it away).
  constexpr float kRound = 12582912.0f;
  const float rounded = (y + kRound) - kRound;
  return y == y ? static_cast<std::int16_t>(rounded) : std::int16_t{0};
}

inline float from_pcm16(std::int16_t s) noexcept { return static_cast<float>(s) * kPcm16Scale; }

}  // namespace tw::dsp
