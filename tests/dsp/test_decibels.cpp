// dsp::power_to_db_fast against 10 log10 in double precision: the harmonic sieve's dB
// spectrum must be the one libm's log10f would give, to float rounding.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "dsp/decibels.h"

TEST_CASE("power_to_db_fast is 10 log10 to within 3e-5 dB from -150 to +100 dB / exact at powers of ten", "[dsp]") {
  double worst = 0.0, worst_libm = 0.0;
  // Every ~1e-4 relative step over 25 decades (about 575,000 values), both octave
  // halves of every mantissa range included.
  for (float x = 1e-15f; x < 1e10f; x = std::nextafter(x * 1.0001f, 2e10f)) {
    const double exact = 10.0 * std::log10(static_cast<double>(x));
    worst = std::max(worst, std::abs(static_cast<double>(tw::dsp::power_to_db_fast(x)) - exact));
    worst_libm = std::max(worst_libm, std::abs(static_cast<double>(10.0f * std::log10(x)) - exact));
  }
  INFO("libm's 10 * log10f: within " << worst_libm << " dB");
  CHECK(worst < 3e-5);
  for (int decade = -30; decade <= 30; ++decade) {
    const float x = static_cast<float>(std::pow(10.0, decade));
    CHECK(tw::dsp::power_to_db_fast(x) == Approx(10.0 * std::log10(static_cast<double>(x))).margin(3e-5));
  }
  // The extremes of the normal range stay finite and in place.
  CHECK(tw::dsp::power_to_db_fast(1.17549435e-38f) == Approx(-379.297).margin(1e-2));
  CHECK(tw::dsp::power_to_db_fast(3.4e38f) == Approx(385.315).margin(1e-2));
}
