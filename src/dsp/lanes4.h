#pragma once
// Four signals side by side, a sample of each per element: the layout of KissFFT's SIMD
// mode (README.simd), and the moves in and out of it.

#include <cstddef>
#include <span>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace tw::dsp {

/// One sample (or one real or imaginary part) of four signals, a lane each: an SSE
/// register's worth.
struct alignas(16) Lanes4 {
  float lane[4];
};

/// out[i].lane[j] = x[j][i] * scale[i] for i < out.size(): four signals, each times
/// the same per-sample factor (a window, a spectral weight), into the lanes. Each
/// value is one float multiply, whichever path computes it.
inline void interleave_scaled(const float* const (&x)[4], const float* scale, std::span<Lanes4> out) noexcept {
  const std::size_t n = out.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Four samples of each signal, turned into four samples of the lanes (a 4 x 4
  // transpose in registers).
  for (; i + 4 <= n; i += 4) {
    const __m128 s = _mm_loadu_ps(scale + i);
    __m128 a = _mm_mul_ps(_mm_loadu_ps(x[0] + i), s);
    __m128 b = _mm_mul_ps(_mm_loadu_ps(x[1] + i), s);
    __m128 c = _mm_mul_ps(_mm_loadu_ps(x[2] + i), s);
    __m128 d = _mm_mul_ps(_mm_loadu_ps(x[3] + i), s);
    _MM_TRANSPOSE4_PS(a, b, c, d);
    _mm_store_ps(out[i].lane, a);
    _mm_store_ps(out[i + 1].lane, b);
    _mm_store_ps(out[i + 2].lane, c);
    _mm_store_ps(out[i + 3].lane, d);
  }
#endif
  for (; i < n; ++i) {
    for (std::size_t j = 0; j < 4; ++j) out[i].lane[j] = x[j][i] * scale[i];
  }
}

/// out[j][i] = in[i].lane[j] for i < in.size(): the lanes back to four signals.
inline void deinterleave(std::span<const Lanes4> in, float* const (&out)[4]) noexcept {
  const std::size_t n = in.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) {
    __m128 a = _mm_load_ps(in[i].lane);
    __m128 b = _mm_load_ps(in[i + 1].lane);
    __m128 c = _mm_load_ps(in[i + 2].lane);
    __m128 d = _mm_load_ps(in[i + 3].lane);
    _MM_TRANSPOSE4_PS(a, b, c, d);
    _mm_storeu_ps(out[0] + i, a);
    _mm_storeu_ps(out[1] + i, b);
    _mm_storeu_ps(out[2] + i, c);
    _mm_storeu_ps(out[3] + i, d);
  }
#endif
  for (; i < n; ++i) {
    for (std::size_t j = 0; j < 4; ++j) out[j][i] = in[i].lane[j];
  }
}

}  // namespace tw::dsp
