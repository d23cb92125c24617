#pragma once
// Four signals side by side, a sample of each per element: the layout of KissFFT's SIMD
// mode (README.simd), and the moves in and out of it.

#include <cassert>
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

/// out[i].lane[j] = x[j][i] * scale[i] for i < out.size(): one to four signals, each
/// times the same per-sample factor (a window, a spectral weight), into the lanes. A
/// lane without a signal (j >= x.size()) repeats the first: a transform costs the same
/// whatever its lanes hold, and deinterleave() reads out only the lanes asked for. Each
/// value is one float multiply, whichever path computes it.
inline void interleave_scaled(std::span<const float* const> x, const float* scale, std::span<Lanes4> out) noexcept {
  assert(!x.empty() && x.size() <= 4);
  const std::size_t n = out.size();
  const float* from[4];
  for (std::size_t j = 0; j < 4; ++j) from[j] = j < x.size() ? x[j] : x[0];
  std::size_t i = 0;
#if defined(__SSE2__)
  // Four samples of each signal, turned into four samples of the lanes (a 4 x 4
  // transpose in registers).
  for (; i + 4 <= n; i += 4) {
    const __m128 s = _mm_loadu_ps(scale + i);
    __m128 a = _mm_mul_ps(_mm_loadu_ps(from[0] + i), s);
    __m128 b = _mm_mul_ps(_mm_loadu_ps(from[1] + i), s);
    __m128 c = _mm_mul_ps(_mm_loadu_ps(from[2] + i), s);
    __m128 d = _mm_mul_ps(_mm_loadu_ps(from[3] + i), s);
    _MM_TRANSPOSE4_PS(a, b, c, d);
    _mm_store_ps(out[i].lane, a);
    _mm_store_ps(out[i + 1].lane, b);
    _mm_store_ps(out[i + 2].lane, c);
    _mm_store_ps(out[i + 3].lane, d);
  }
#endif
  for (; i < n; ++i) {
    for (std::size_t j = 0; j < 4; ++j) out[i].lane[j] = from[j][i] * scale[i];
  }
}

/// out[j][i] = in[i].lane[j] for i < in.size() and j < out.size() (one to four): the
/// lanes back to signals; lanes past out.size() are not read out.
inline void deinterleave(std::span<const Lanes4> in, std::span<float* const> out) noexcept {
  assert(!out.empty() && out.size() <= 4);
  const std::size_t n = in.size();
  const std::size_t lanes = out.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) {
    __m128 a = _mm_load_ps(in[i].lane);
    __m128 b = _mm_load_ps(in[i + 1].lane);
    __m128 c = _mm_load_ps(in[i + 2].lane);
    __m128 d = _mm_load_ps(in[i + 3].lane);
    _MM_TRANSPOSE4_PS(a, b, c, d);
    // Lanes in order; the branches are the same on every pass.
    _mm_storeu_ps(out[0] + i, a);
    if (lanes > 1) _mm_storeu_ps(out[1] + i, b);
    if (lanes > 2) _mm_storeu_ps(out[2] + i, c);
    if (lanes > 3) _mm_storeu_ps(out[3] + i, d);
  }
#endif
  for (; i < n; ++i) {
    for (std::size_t j = 0; j < lanes; ++j) out[j][i] = in[i].lane[j];
  }
}

}  // namespace tw::dsp
