// dsp::RealFft4 (four transforms per call, KissFFT's SIMD mode when built) against the
// scalar RealFft, and the frame batch built on it: a frame's power spectrum must be the
// one it gets alone, bit for bit, whatever frames share its transform, so that batching
// (the hops of a block, both speakers of a call) cannot change a feature.

#include <catch2/catch.hpp>

#include <stdexcept>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

#include "dsp/frame_batch.h"
#include "dsp/real_fft.h"
#include "dsp/real_fft4.h"
#include "dsp/spectrum_analyzer.h"

namespace {

std::vector<float> test_signal(std::size_t n, int seed) {
  std::vector<float> x(n);
  std::uint32_t state = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  for (std::size_t i = 0; i < n; ++i) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const double noise = static_cast<double>(state % 20001) / 10000.0 - 1.0;
    x[i] = static_cast<float>(0.6 * std::sin(0.07 * (seed + 1) * static_cast<double>(i)) + 0.3 * noise);
  }
  return x;
}

}  // namespace

TEST_CASE("RealFft4: each lane is the scalar transform of its signal to float rounding / and the inverse returns size() times it",
          "[dsp]") {
  using tw::dsp::Lanes4;
  INFO("KissFFT SIMD mode built: " << tw::dsp::RealFft4::simd());
  for (const std::size_t n : {std::size_t{320}, std::size_t{160}}) {
    const tw::dsp::RealFft scalar(n);
    const tw::dsp::RealFft4 fft4(n);
    std::vector<Lanes4> in(n), spectrum(2 * fft4.bins()), back(n);
    std::vector<std::vector<float>> signals;
    for (int j = 0; j < 4; ++j) signals.push_back(test_signal(n, j));
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < 4; ++j) in[i].lane[j] = signals[j][i];
    }
    fft4.forward(in, spectrum);
    fft4.inverse(spectrum, back);
    for (std::size_t j = 0; j < 4; ++j) {
      std::vector<std::complex<float>> expected(scalar.bins());
      scalar.forward(signals[j], expected);
      float peak = 0.0f;
      for (const auto& v : expected) peak = std::max(peak, std::abs(v));
      // Float rounding of a 320-point transform: a few ulp of the largest bin.
      const double tolerance = 1e-6 * peak;
      for (std::size_t k = 0; k < expected.size(); ++k) {
        CHECK(spectrum[2 * k].lane[j] == Approx(expected[k].real()).margin(tolerance));
        CHECK(spectrum[2 * k + 1].lane[j] == Approx(expected[k].imag()).margin(tolerance));
      }
      for (std::size_t i = 0; i < n; ++i) CHECK(back[i].lane[j] == Approx(n * signals[j][i]).margin(1e-3));
    }
  }
}

TEST_CASE("power spectra four to a transform equal each frame's own / whatever shares the call", "[dsp]") {
  constexpr std::size_t n = 320, hop = 80;
  tw::dsp::SpectrumAnalyzer analyzer(n, 8000);
  std::vector<std::vector<float>> frames;
  for (int f = 0; f < 7; ++f) frames.push_back(test_signal(n, 20 + f));
  // Each frame alone.
  std::vector<std::vector<float>> alone;
  for (int f = 0; f < 7; ++f) {
    const tw::dsp::AnalysisFrame& a = analyzer.analyze(frames[f], f, hop);
    alone.emplace_back(a.power.begin(), a.power.end());
  }
  // In a batch, as two streams, interleaved: 7 frames make a group of four and one of three.
  tw::dsp::FrameBatch::reserve(n);
  tw::dsp::FrameBatch& batch = tw::dsp::FrameBatch::this_thread(n);
  batch.clear();
  for (int f = 0; f < 7; ++f) batch.add(f % 2, frames[f], f);
  batch.analyze(analyzer, hop);
  REQUIRE(batch.size() == 7);
  for (std::size_t f = 0; f < 7; ++f) {
    const tw::dsp::AnalysisFrame& a = batch.frame(f);
    CHECK(batch.stream(f) == static_cast<int>(f % 2));
    CHECK(a.hop_index == static_cast<std::int64_t>(f));
    CHECK(a.centre_time_s == Approx(f * 0.01).margin(1e-12));
    CHECK(std::equal(a.samples.begin(), a.samples.end(), frames[f].begin(), frames[f].end()));
    // Bit for bit: the same arithmetic on the same lane data.
    CHECK(std::vector<float>(a.power.begin(), a.power.end()) == alone[f]);
  }
  // Against truth: Parseval's theorem for the windowed frame (power summed over the
  // two-sided spectrum equals n times the windowed energy).
  const std::span<const float> w = analyzer.window();
  double energy = 0.0;
  for (std::size_t i = 0; i < n; ++i) energy += std::pow(static_cast<double>(frames[3][i]) * w[i], 2);
  const std::span<const float> p = batch.frame(3).power;
  double sum = p[0] + p[n / 2];
  for (std::size_t k = 1; k < n / 2; ++k) sum += 2.0 * p[k];
  CHECK(sum == Approx(n * energy).epsilon(1e-4));
}

TEST_CASE("RealFft4 refuses odd and zero sizes as RealFft does", "[dsp]") {
  CHECK_THROWS_AS(tw::dsp::RealFft4(0), std::invalid_argument);
  CHECK_THROWS_AS(tw::dsp::RealFft4(321), std::invalid_argument);
  CHECK_NOTHROW(tw::dsp::RealFft4(320));
}
