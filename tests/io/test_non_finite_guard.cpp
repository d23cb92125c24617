// Non-finite samples: counted per channel, silenced, and located, the same
// whatever the block size.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "io/non_finite_guard.h"

using tw::io::NonFiniteGuard;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Stereo: NaN in the left channel at frames 3-4 and 100, +inf in the right at
// 10 and -inf at 11; everything else frame * 1e-3.
std::vector<float> stereo_with_defects(std::size_t frames) {
  std::vector<float> x(2 * frames);
  for (std::size_t f = 0; f < frames; ++f) x[2 * f] = x[2 * f + 1] = static_cast<float>(f) * 1e-3f;
  x[2 * 3] = x[2 * 4] = x[2 * 100] = kNaN;
  x[2 * 10 + 1] = kInf;
  x[2 * 11 + 1] = -kInf;
  return x;
}
}  // namespace

TEST_CASE("non-finite samples become silence and are counted where they were", "[io][non-finite]") {
  std::vector<float> x = stereo_with_defects(200);
  NonFiniteGuard guard(2);
  guard.process(x);
  CHECK(guard.frames() == 200);
  CHECK(guard.count(0) == 3);
  CHECK(guard.count(1) == 2);
  CHECK(guard.total() == 5);
  REQUIRE(guard.spans(0).size() == 2);
  CHECK(guard.spans(0)[0].first_frame == 3);
  CHECK(guard.spans(0)[0].end_frame == 5);
  CHECK(guard.spans(0)[1].first_frame == 100);
  CHECK(guard.spans(0)[1].end_frame == 101);
  REQUIRE(guard.spans(1).size() == 1);
  CHECK(guard.spans(1)[0].first_frame == 10);
  CHECK(guard.spans(1)[0].end_frame == 12);
  for (std::size_t f = 0; f < 200; ++f) {
    const bool left_bad = f == 3 || f == 4 || f == 100;
    const bool right_bad = f == 10 || f == 11;
    CHECK(x[2 * f] == (left_bad ? 0.0f : static_cast<float>(f) * 1e-3f));
    CHECK(x[2 * f + 1] == (right_bad ? 0.0f : static_cast<float>(f) * 1e-3f));
  }
  CHECK_FALSE(guard.all_non_finite(0));
}

TEST_CASE("the guard finds the same runs whatever the block size", "[io][non-finite]") {
  const std::vector<float> original = stereo_with_defects(200);
  std::vector<float> whole = original;
  NonFiniteGuard one_block(2);
  one_block.process(whole);
  std::mt19937 random(3);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> x = original;
    NonFiniteGuard guard(2);
    std::size_t frame = 0;
    while (frame < 200) {
      const std::size_t n = std::min<std::size_t>(200 - frame, std::uniform_int_distribution<std::size_t>(1, 7)(random));
      guard.process(std::span<float>(x.data() + 2 * frame, 2 * n));
      frame += n;
    }
    CHECK(x == whole);
    for (int c = 0; c < 2; ++c) {
      CHECK(guard.count(c) == one_block.count(c));
      REQUIRE(guard.spans(c).size() == one_block.spans(c).size());
      for (std::size_t i = 0; i < guard.spans(c).size(); ++i) {
        CHECK(guard.spans(c)[i].first_frame == one_block.spans(c)[i].first_frame);
        CHECK(guard.spans(c)[i].end_frame == one_block.spans(c)[i].end_frame);
      }
    }
  }
}

TEST_CASE("the guard keeps the first runs and counts the rest", "[io][non-finite]") {
  std::vector<float> x(100, 0.5f);
  for (std::size_t f = 0; f < 100; f += 5) x[f] = kNaN;  // 20 separate runs, mono
  NonFiniteGuard guard(1);
  guard.process(x);
  CHECK(guard.count(0) == 20);
  CHECK(guard.span_count(0) == 20);
  REQUIRE(guard.spans(0).size() == NonFiniteGuard::kMaxSpans);
  CHECK(guard.spans(0).back().first_frame == 5 * static_cast<std::int64_t>(NonFiniteGuard::kMaxSpans - 1));
  // A run that goes on past the kept ones is counted but not recorded.
  std::vector<float> tail(10, kNaN);
  guard.process(tail);
  CHECK(guard.count(0) == 30);
  CHECK(guard.span_count(0) == 21);
  CHECK(guard.spans(0).back().end_frame == 5 * static_cast<std::int64_t>(NonFiniteGuard::kMaxSpans - 1) + 1);
}

TEST_CASE("a channel that is all NaN is told apart and reset forgets it", "[io][non-finite]") {
  std::vector<float> x(2 * 50);
  for (std::size_t f = 0; f < 50; ++f) {
    x[2 * f] = 0.1f;
    x[2 * f + 1] = f % 2 ? kNaN : -kInf;
  }
  NonFiniteGuard guard(2);
  CHECK_FALSE(guard.all_non_finite(1));  // nothing seen yet
  guard.process(x);
  CHECK_FALSE(guard.all_non_finite(0));
  CHECK(guard.all_non_finite(1));
  CHECK(guard.spans(1).size() == 1);
  guard.reset();
  CHECK(guard.frames() == 0);
  CHECK(guard.count(1) == 0);
  CHECK(guard.spans(1).empty());
  CHECK_THROWS_AS(NonFiniteGuard(0), std::invalid_argument);
}
