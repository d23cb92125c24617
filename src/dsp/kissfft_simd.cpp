// KissFFT's SIMD mode (USE_SIMD: an SSE __m128 is its scalar, four transforms per call;
// KissFFT's README.simd), compiled from Debian's kissfft 131.1.0 source, which
// cmake/kissfft_simd.cmake fetches and checks: KissFFT's own code, BSD-3-Clause
// (copyright Mark Borgerding), not copied into this repository. Every external name is
// renamed (tw_kiss4_*), as are its types, so that this build and Debian's scalar
// libkissfft-float live side by side in one program. Only this file sees them.

#include <xmmintrin.h>

#define USE_SIMD 1
#define kiss_fft_alloc tw_kiss4_fft_alloc
#define kiss_fft tw_kiss4_fft
#define kiss_fft_stride tw_kiss4_fft_stride
#define kiss_fft_cleanup tw_kiss4_fft_cleanup
#define kiss_fft_next_fast_size tw_kiss4_fft_next_fast_size
#define kiss_fftr_alloc tw_kiss4_fftr_alloc
#define kiss_fftr tw_kiss4_fftr
#define kiss_fftri tw_kiss4_fftri
#define kiss_fft_state tw_kiss4_fft_state
#define kiss_fftr_state tw_kiss4_fftr_state
#include "kiss_fft.c"
#include "kiss_fftr.c"

#include "dsp/kissfft_simd.h"

namespace tw::dsp::kiss4 {

static_assert(sizeof(kiss_fft_scalar) == sizeof(Lanes4) && alignof(kiss_fft_scalar) == alignof(Lanes4),
              "Lanes4 must be KissFFT's SIMD scalar");
static_assert(sizeof(kiss_fft_cpx) == 2 * sizeof(Lanes4), "a SIMD kiss_fft_cpx is its real and imaginary lanes");

Plan* alloc(std::size_t size, bool inverse) noexcept {
  return reinterpret_cast<Plan*>(kiss_fftr_alloc(static_cast<int>(size), inverse ? 1 : 0, nullptr, nullptr));
}

void free(Plan* plan) noexcept { kiss_fftr_free(reinterpret_cast<kiss_fftr_cfg>(plan)); }

void forward(Plan* plan, const Lanes4* in, Lanes4* out) noexcept {
  kiss_fftr(reinterpret_cast<kiss_fftr_cfg>(plan), reinterpret_cast<const kiss_fft_scalar*>(in),
            reinterpret_cast<kiss_fft_cpx*>(out));
}

void inverse(Plan* plan, const Lanes4* in, Lanes4* out) noexcept {
  kiss_fftri(reinterpret_cast<kiss_fftr_cfg>(plan), reinterpret_cast<const kiss_fft_cpx*>(in),
             reinterpret_cast<kiss_fft_scalar*>(out));
}

}  // namespace tw::dsp::kiss4
