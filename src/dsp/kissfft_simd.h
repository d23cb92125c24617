#pragma once
// KissFFT compiled in its SIMD mode (kissfft_simd.cpp), under names of its own so that it
// does not clash with the scalar libkissfft-float the binary also links. For RealFft4.

#include <cstddef>

#include "dsp/real_fft4.h"

namespace tw::dsp::kiss4 {

struct Plan;  // a kiss_fftr_cfg of the SIMD build

/// nullptr if KissFFT cannot allocate it (or `size` is odd).
Plan* alloc(std::size_t size, bool inverse) noexcept;
void free(Plan* plan) noexcept;
void forward(Plan* plan, const Lanes4* in, Lanes4* out) noexcept;
void inverse(Plan* plan, const Lanes4* in, Lanes4* out) noexcept;

}  // namespace tw::dsp::kiss4
