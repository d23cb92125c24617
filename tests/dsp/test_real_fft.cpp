// dsp::RealFft against known truth, and its per-thread plans: a RealFft built on one
// thread and run on others (as a server worker runs the calls the network thread
// opened) gives every thread the transform it would get alone, even when threads
// transform at the same moment (a plan's scratch buffer is never shared).

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <complex>
#include <numbers>
#include <thread>
#include <vector>

#include "dsp/real_fft.h"

namespace {

std::vector<float> test_signal(std::size_t n, int seed) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    x[i] = static_cast<float>(0.5 * std::sin(0.05 * (seed + 1) * t) + 0.25 * std::cos(0.31 * t + seed) +
                              0.01 * ((i * 7919 + static_cast<std::size_t>(seed) * 104729) % 13));
  }
  return x;
}

}  // namespace

TEST_CASE("RealFft: a sinusoid lands in its bin and the inverse returns size() times the signal", "[dsp]") {
  constexpr std::size_t n = 320;
  const tw::dsp::RealFft fft(n);
  REQUIRE(fft.bins() == n / 2 + 1);
  std::vector<float> x(n);
  constexpr std::size_t bin = 17;
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::cos(2.0 * std::numbers::pi * bin * i / n));
  std::vector<std::complex<float>> spectrum(fft.bins());
  fft.forward(x, spectrum);
  for (std::size_t k = 0; k < spectrum.size(); ++k) {
    // A unit cosine on bin k0 gives n/2 there and nothing elsewhere.
    CHECK(std::abs(spectrum[k]) == Approx(k == bin ? n / 2.0 : 0.0).margin(1e-3));
  }
  std::vector<float> back(n);
  fft.inverse(spectrum, back);
  for (std::size_t i = 0; i < n; ++i) CHECK(back[i] == Approx(n * x[i]).margin(1e-3));
}

TEST_CASE("RealFft: built on one thread and run on several at once / each gets the transform it gets alone", "[dsp]") {
  const tw::dsp::RealFft forward(320, tw::dsp::RealFft::Directions::forward_only);
  const tw::dsp::RealFft inverse(160, tw::dsp::RealFft::Directions::inverse_only);
  constexpr int kThreads = 4, kRounds = 3000;

  // The reference: each thread's input, transformed here, alone.
  std::vector<std::vector<float>> inputs, expected_inverse;
  std::vector<std::vector<std::complex<float>>> expected_forward, spectra_160;
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(test_signal(320, t));
    expected_forward.emplace_back(forward.bins());
    forward.forward(inputs.back(), expected_forward.back());
    const tw::dsp::RealFft make_spectrum(160, tw::dsp::RealFft::Directions::forward_only);
    spectra_160.emplace_back(inverse.bins());
    make_spectrum.forward(test_signal(160, t + 10), spectra_160.back());
    expected_inverse.emplace_back(160);
    inverse.inverse(spectra_160.back(), expected_inverse.back());
  }

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::complex<float>> spectrum(forward.bins());
      std::vector<float> signal(160);
      for (int r = 0; r < kRounds; ++r) {
        forward.forward(inputs[t], spectrum);
        inverse.inverse(spectra_160[t], signal);
        // Bit for bit: the same plan arithmetic on the same input.
        if (spectrum != expected_forward[t] || signal != expected_inverse[t]) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
}
