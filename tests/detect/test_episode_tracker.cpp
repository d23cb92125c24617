// EpisodeTracker: the timing every detection rule shares (minimum duration,
// release, hysteresis through two conditions, cool-down), fed once a second.

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "detect/episode_tracker.h"

using tw::detect::EpisodeChange;
using tw::detect::EpisodeTiming;
using tw::detect::EpisodeTracker;

namespace {

// A measured level against two thresholds, the way the detectors use the tracker:
// open at or above `open_level`, close below `close_level`.
struct LevelRule {
  double open_level = 0.7, close_level = 0.5;
  EpisodeChange feed(EpisodeTracker& e, double t, double level) const {
    return e.update(t, level >= open_level, level < close_level);
  }
};

// Feeds `levels` at t = start, start + 1, ... and returns the change at each second.
std::vector<EpisodeChange> run(EpisodeTracker& e, const std::vector<double>& levels, double start_s = 0.0) {
  std::vector<EpisodeChange> out;
  const LevelRule rule;
  for (std::size_t i = 0; i < levels.size(); ++i) out.push_back(rule.feed(e, start_s + static_cast<double>(i), levels[i]));
  return out;
}

// Index of the first `change` in `changes`, or -1.
int first(const std::vector<EpisodeChange>& changes, EpisodeChange change) {
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (changes[i] == change) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

TEST_CASE("an episode opens only after the open condition held min_duration_s", "[detect][episode]") {
  EpisodeTracker e(EpisodeTiming{3.0, 2.0, 0.0});
  // High from t = 2: pending at 2, 3, 4; opens at 5 (5 - 2 >= 3), not before.
  const auto changes = run(e, {0.0, 0.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9});
  CHECK(first(changes, EpisodeChange::opened) == 5);
  CHECK(std::count(changes.begin(), changes.end(), EpisodeChange::opened) == 1);
  CHECK(e.is_open());
  CHECK(e.onset_s() == 2.0);   // when the condition began, not when it was confirmed
  CHECK(e.opened_s() == 5.0);
}

TEST_CASE("a gap in the open condition resets the pending time", "[detect][episode]") {
  EpisodeTracker e(EpisodeTiming{3.0, 2.0, 0.0});
  // High at 0..2 (2 s held), one second below at 3, high again from 4: the
  // duration restarts at 4, so the episode opens at 7 with onset 4.
  const auto changes = run(e, {0.9, 0.9, 0.9, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9});
  CHECK(first(changes, EpisodeChange::opened) == 7);
  CHECK(e.onset_s() == 4.0);
}

TEST_CASE("zero min_duration_s opens on the first observation", "[detect][episode]") {
  EpisodeTracker e(EpisodeTiming{0.0, 0.0, 0.0});
  CHECK(LevelRule{}.feed(e, 12.5, 0.9) == EpisodeChange::opened);
  CHECK(e.onset_s() == 12.5);
  // ... and zero release closes on the first observation of the close condition.
  CHECK(LevelRule{}.feed(e, 13.5, 0.1) == EpisodeChange::closed);
}

TEST_CASE("an episode closes only after the close condition held release_s", "[detect][episode]") {
  EpisodeTracker e(EpisodeTiming{0.0, 3.0, 0.0});
  // Opens at 0; low from 2: closes at 5, not before.
  const auto changes = run(e, {0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1});
  CHECK(changes[0] == EpisodeChange::opened);
  CHECK(first(changes, EpisodeChange::closed) == 5);
  CHECK_FALSE(e.is_open());

  SECTION("a break in the close condition restarts the release") {
    EpisodeTracker f(EpisodeTiming{0.0, 3.0, 0.0});
    // Low at 1, 2; back high at 3; low again from 4: closes at 7.
    const auto g = run(f, {0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1});
    CHECK(first(g, EpisodeChange::closed) == 7);
  }
}

TEST_CASE("between the two thresholds the episode keeps its state (hysteresis)", "[detect][episode]") {
  const double between = 0.6;  // below open (0.7), not below close (0.5)
  SECTION("closed stays closed") {
    EpisodeTracker e(EpisodeTiming{0.0, 0.0, 0.0});
    const auto changes = run(e, std::vector<double>(20, between));
    CHECK(first(changes, EpisodeChange::opened) == -1);
    CHECK_FALSE(e.is_open());
  }
  SECTION("open stays open") {
    EpisodeTracker e(EpisodeTiming{0.0, 0.0, 0.0});
    std::vector<double> levels(20, between);
    levels[0] = 0.9;
    const auto changes = run(e, levels);
    CHECK(changes[0] == EpisodeChange::opened);
    CHECK(first(changes, EpisodeChange::closed) == -1);
    CHECK(e.is_open());
  }
}

TEST_CASE("the cool-down blocks reopening for cooldown_s after a close", "[detect][episode]") {
  EpisodeTracker e(EpisodeTiming{1.0, 1.0, 10.0});
  // Open condition at 0..2: opens at 1. Close condition from 3: closes at 4.
  std::vector<double> levels = {0.9, 0.9, 0.9, 0.1, 0.1};
  // High again from 5 onwards, held: the duration is met at 6, but the cool-down
  // runs until 4 + 10 = 14.
  levels.resize(20, 0.9);
  const auto changes = run(e, levels);
  CHECK(changes[1] == EpisodeChange::opened);
  CHECK(changes[4] == EpisodeChange::closed);
  CHECK(first(std::vector<EpisodeChange>(changes.begin() + 5, changes.end()), EpisodeChange::opened) + 5 == 14);
  // The reopened episode's onset is when its condition began, inside the cool-down.
  CHECK(e.onset_s() == 5.0);
  CHECK(e.opened_s() == 14.0);
}

TEST_CASE("reset() behaves like a fresh tracker", "[detect][episode]") {
  const EpisodeTiming timing{2.0, 2.0, 30.0};
  const std::vector<double> script = {0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.6, 0.9, 0.9, 0.9, 0.9};
  EpisodeTracker fresh(timing);
  const auto expected = run(fresh, script);
  REQUIRE(first(expected, EpisodeChange::opened) == 2);

  EpisodeTracker used(timing);
  // Leave it closed, inside a cool-down, with the open condition pending.
  run(used, {0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9}, 0.0);
  REQUIRE_FALSE(used.is_open());  // cool-down until 5 + 30
  used.reset();
  CHECK_FALSE(used.is_open());
  CHECK(run(used, script) == expected);  // a cool-down or pending time left over would delay the opening
  CHECK(used.onset_s() == fresh.onset_s());
  CHECK(used.opened_s() == fresh.opened_s());
}

TEST_CASE("negative episode durations are rejected", "[detect][episode]") {
  CHECK_NOTHROW(EpisodeTracker(EpisodeTiming{0.0, 0.0, 0.0}));
  CHECK_THROWS_AS(EpisodeTracker(EpisodeTiming{-1.0, 1.0, 1.0}), std::invalid_argument);
  CHECK_THROWS_AS(EpisodeTracker(EpisodeTiming{1.0, -0.1, 1.0}), std::invalid_argument);
  CHECK_THROWS_WITH(EpisodeTracker(EpisodeTiming{1.0, 1.0, -5.0}), Catch::Contains("cooldown_s"));
}
