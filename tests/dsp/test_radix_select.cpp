// dsp::kth_smallest against std::nth_element: the same value at every rank, on
// spectra-like data (negative dB values), ties, signed zeros and extremes.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "dsp/radix_select.h"

namespace {

float nth(std::vector<float> v, std::size_t k) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

TEST_CASE("kth_smallest gives nth_element's value at every rank / ties and signs included", "[dsp]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> db(-40.0f, 15.0f);
  std::uniform_int_distribution<int> small(-3, 3);
  std::vector<std::uint32_t> scratch(300);
  int mismatches = 0, cases = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(trial % 300);
    std::vector<float> v(n);
    for (float& x : v) {
      // A third of the trials are mostly ties (a few distinct values, both zeros).
      x = trial % 3 == 0 ? static_cast<float>(small(rng)) * 0.5f : db(rng);
      if (trial % 3 == 0 && x == 0.0f && rng() % 2 == 0) x = -0.0f;
    }
    if (trial % 7 == 0) {
      v[0] = std::numeric_limits<float>::max();
      v[n - 1] = std::numeric_limits<float>::lowest();
    }
    for (std::size_t k = 0; k < n; k += 1 + n / 17) {
      ++cases;
      // Equal values: -0 and +0 compare equal, as nth_element sees them.
      if (!(tw::dsp::kth_smallest(v, k, scratch) == nth(v, k))) ++mismatches;
    }
  }
  INFO(cases << " ranks checked");
  CHECK(mismatches == 0);
  CHECK(cases > 3000);
}
