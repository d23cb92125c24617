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
inline std::int16_t to_pcm16(float x) noexcept {
  float y = x * 32768.0f;
  y = y < -32768.0f ? -32768.0f : (y > 32767.0f ? 32767.0f : y);
  return y == y ? static_cast<std::int16_t>(std::lrint(y)) : std::int16_t{0};
}

inline float from_pcm16(std::int16_t s) noexcept { return static_cast<float>(s) * kPcm16Scale; }

}  // namespace tw::dsp
