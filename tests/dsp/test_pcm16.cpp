// The float <-> 16-bit conversion of the live path: exact for 16-bit audio,
// rounding like lrint (half to even) for anything between, clamped, NaN as silence.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "dsp/pcm16.h"

using tw::dsp::from_pcm16;
using tw::dsp::to_pcm16;

TEST_CASE("to_pcm16 round-trips every 16-bit sample", "[dsp][pcm16]") {
  for (int s = -32768; s <= 32767; ++s) {
    const auto sample = static_cast<std::int16_t>(s);
    REQUIRE(to_pcm16(from_pcm16(sample)) == sample);
  }
}

TEST_CASE("to_pcm16 rounds half to even like lrint and clamps", "[dsp][pcm16]") {
  const auto reference = [](float x) {
    const float y = x * 32768.0f;
    if (std::isnan(y)) return std::int16_t{0};
    if (y <= -32768.0f) return std::int16_t{-32768};
    if (y >= 32767.0f) return std::int16_t{32767};
    return static_cast<std::int16_t>(std::lrint(y));
  };
  // Halves: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0, -1.5 -> -2.
  CHECK(to_pcm16(0.5f / 32768.0f) == 0);
  CHECK(to_pcm16(1.5f / 32768.0f) == 2);
  CHECK(to_pcm16(2.5f / 32768.0f) == 2);
  CHECK(to_pcm16(-0.5f / 32768.0f) == 0);
  CHECK(to_pcm16(-1.5f / 32768.0f) == -2);
  CHECK(to_pcm16(32766.5f / 32768.0f) == 32766);
  CHECK(to_pcm16(1.0f) == 32767);
  CHECK(to_pcm16(-1.0f) == -32768);
  CHECK(to_pcm16(7.0f) == 32767);
  CHECK(to_pcm16(-7.0f) == -32768);
  CHECK(to_pcm16(std::numeric_limits<float>::infinity()) == 32767);
  CHECK(to_pcm16(-std::numeric_limits<float>::infinity()) == -32768);
  CHECK(to_pcm16(std::numeric_limits<float>::quiet_NaN()) == 0);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> any(-1.2f, 1.2f);
  for (int i = 0; i < 200000; ++i) {
    const float x = any(rng);
    REQUIRE(to_pcm16(x) == reference(x));
  }
  // Every half step in a stretch of the range.
  for (int twice = -2001; twice <= 2001; ++twice) {
    const float x = (static_cast<float>(twice) * 0.5f) / 32768.0f;
    REQUIRE(to_pcm16(x) == reference(x));
  }
}

TEST_CASE("to_pcm16 over a block is the sample-by-sample result", "[dsp][pcm16]") {
  // A loop over a block, as the leg ring and the joiner run it (with the project's
  // flags the compiler vectorizes it), must agree with lrint sample by sample.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> any(-1.5f, 1.5f);
  std::vector<float> block(1031);
  for (float& v : block) v = any(rng);
  block[3] = std::numeric_limits<float>::quiet_NaN();
  block[500] = 0.5f / 32768.0f;
  std::vector<std::int16_t> out(block.size());
  for (std::size_t i = 0; i < block.size(); ++i) out[i] = to_pcm16(block[i]);
  for (std::size_t i = 0; i < block.size(); ++i) {
    const float y = block[i] * 32768.0f;
    const std::int16_t expected = std::isnan(y) ? 0 : static_cast<std::int16_t>(std::lrint(std::clamp(y, -32768.0f, 32767.0f)));
    REQUIRE(out[i] == expected);
  }
}
