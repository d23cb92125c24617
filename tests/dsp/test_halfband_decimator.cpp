// The 16 kHz -> 8 kHz decimator (dsp/halfband_decimator.h): known truth from sines. A
// tone in the telephone band keeps its level (0.1 dB) and frequency; a tone above 4.7 kHz,
// which would alias into the band, is gone (60 dB); blocks of any even size give the same
// samples as one long block; the count is exactly half from the first sample on.

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "dsp/halfband_decimator.h"

namespace {

std::vector<float> sine(double hz, double rate, std::size_t n, double amplitude = 0.5) {
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / rate));
  return out;
}

double rms(const std::vector<float>& v, std::size_t from) {
  double sum = 0.0;
  for (std::size_t i = from; i < v.size(); ++i) sum += static_cast<double>(v[i]) * v[i];
  return std::sqrt(sum / static_cast<double>(v.size() - from));
}

std::vector<float> decimate(const std::vector<float>& in, std::size_t block) {
  tw::dsp::HalfbandDecimator d(block);
  std::vector<float> out(in.size() / 2);
  for (std::size_t at = 0; at < in.size(); at += block) {
    const std::size_t n = std::min(block, in.size() - at);
    REQUIRE(d.process(std::span<const float>(in.data() + at, n), std::span<float>(out.data() + at / 2, n / 2)) == n / 2);
  }
  return out;
}

}  // namespace

TEST_CASE("The halfband decimator keeps telephone-band tones and removes tones that would alias", "[dsp][g722]") {
  for (const double hz : {300.0, 1000.0, 3400.0}) {
    INFO(hz << " Hz");
    const auto in = sine(hz, 16000.0, 32000);
    const auto out = decimate(in, 320);
    REQUIRE(out.size() == 16000);
    const double gain_db = 20.0 * std::log10(rms(out, 100) / rms(in, 200));
    CHECK(std::abs(gain_db) < 0.1);
    // Still the same tone at 8 kHz: its zero crossings say its frequency (within 0.5 %).
    std::size_t crossings = 0;
    for (std::size_t i = 101; i < out.size(); ++i) crossings += (out[i - 1] < 0.0f) != (out[i] < 0.0f);
    const double measured_hz = static_cast<double>(crossings) / 2.0 / ((out.size() - 101) / 8000.0);
    CHECK(measured_hz == Approx(hz).epsilon(0.005));
  }
  for (const double hz : {4700.0, 6000.0, 7500.0}) {
    INFO(hz << " Hz");
    const auto in = sine(hz, 16000.0, 32000);
    const auto out = decimate(in, 320);
    CHECK(20.0 * std::log10(rms(out, 100) / rms(in, 200)) < -60.0);
  }
}

TEST_CASE("The halfband decimator gives the same samples whatever the block size / reset forgets the past", "[dsp][g722]") {
  const auto in = sine(1234.0, 16000.0, 9600);
  const auto whole = decimate(in, 9600);
  CHECK(decimate(in, 2) == whole);
  CHECK(decimate(in, 320) == whole);
  CHECK(decimate(in, 4800) == whole);
  tw::dsp::HalfbandDecimator d(9600);
  std::vector<float> first(4800), again(4800);
  d.process(in, first);
  d.reset();
  d.process(in, again);
  CHECK(first == again);
  CHECK(first == whole);
}
