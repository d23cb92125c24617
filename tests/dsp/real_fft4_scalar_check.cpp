// dsp::RealFft4 built without KissFFT's SIMD mode (TW_KISSFFT_SIMD=0: a build off
// x86-64, or one whose configure could not fetch KissFFT's source), in a program of
// its own: the test binary links the SIMD build, and one program holds one RealFft4.
// Each lane must be the scalar RealFft's transform of its signal, bit for bit (the
// fallback runs that very transform), and the inverse must return size() times it.
// Exit status 0 when every check holds.

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "dsp/real_fft.h"
#include "dsp/real_fft4.h"

int main() {
  static_assert(TW_KISSFFT_SIMD == 0, "this program checks the scalar fallback");
  int failures = 0;
  if (tw::dsp::RealFft4::simd()) {
    std::puts("FAIL: RealFft4::simd() says the SIMD mode is built in");
    ++failures;
  }
  for (const std::size_t n : {std::size_t{320}, std::size_t{160}}) {
    const tw::dsp::RealFft scalar(n);
    const tw::dsp::RealFft4 fft4(n);
    std::vector<tw::dsp::Lanes4> in(n), spectrum(2 * fft4.bins()), back(n);
    std::vector<std::vector<float>> signals(4, std::vector<float>(n));
    std::uint32_t state = 12345u;
    for (std::size_t j = 0; j < 4; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        state = state * 1664525u + 1013904223u;
        signals[j][i] = static_cast<float>(std::sin(0.05 * static_cast<double>((j + 1) * i))) +
                        static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
        in[i].lane[j] = signals[j][i];
      }
    }
    fft4.forward(in, spectrum);
    fft4.inverse(spectrum, back);
    for (std::size_t j = 0; j < 4; ++j) {
      std::vector<std::complex<float>> expected(scalar.bins());
      scalar.forward(signals[j], expected);
      for (std::size_t k = 0; k < expected.size(); ++k) {
        if (spectrum[2 * k].lane[j] != expected[k].real() || spectrum[2 * k + 1].lane[j] != expected[k].imag()) {
          std::printf("FAIL: n=%zu lane %zu bin %zu: (%g, %g), scalar (%g, %g)\n", n, j, k, spectrum[2 * k].lane[j],
                      spectrum[2 * k + 1].lane[j], expected[k].real(), expected[k].imag());
          ++failures;
        }
      }
      for (std::size_t i = 0; i < n; ++i) {
        const float want = static_cast<float>(n) * signals[j][i];
        if (std::abs(back[i].lane[j] - want) > 1e-3f * static_cast<float>(n)) {
          std::printf("FAIL: n=%zu lane %zu sample %zu: inverse %g, expected %g\n", n, j, i, back[i].lane[j], want);
          ++failures;
        }
      }
    }
  }
  std::printf("%s: RealFft4 without the SIMD mode, %d failure(s)\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
