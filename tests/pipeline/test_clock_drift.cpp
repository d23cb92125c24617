// Measuring a live source's clock against the steady clock, from the stamps its
// callbacks leave: the rate of two devices that never quite agree.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "pipeline/clock_drift.h"

using tw::pipeline::ClockDriftEstimator;

namespace {

// A device at nominal_hz * (1 + drift_ppm 1e-6) delivering `period` frames per
// callback; each callback runs up to jitter_ms late (scheduling), which is what
// the stamps see. Returns the estimate after `seconds`.
tw::pipeline::DriftEstimate simulate(double nominal_hz, double drift_ppm, double jitter_ms, double seconds,
                                     std::uint32_t seed) {
  ClockDriftEstimator estimator(nominal_hz);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> late(0.0, jitter_ms * 1e-3);
  const double rate = nominal_hz * (1.0 + drift_ppm * 1e-6);
  const std::uint64_t period = 256;
  for (std::uint64_t frames = period; static_cast<double>(frames) / rate < seconds; frames += period) {
    const double t_s = 100.0 + static_cast<double>(frames) / rate + late(rng);  // any epoch
    estimator.add(static_cast<std::int64_t>(t_s * 1e9), frames);
  }
  return estimator.estimate();
}

}  // namespace

TEST_CASE("ClockDriftEstimator finds a known drift within its standard error", "[pipeline][drift]") {
  for (const double drift_ppm : {-250.0, -40.0, 0.0, 35.0, 120.0}) {
    INFO("true drift " << drift_ppm << " ppm");
    const auto e = simulate(48000.0, drift_ppm, 5.0, 120.0, 7);
    CHECK(e.points > 20000);
    CHECK(e.elapsed_s == Approx(120.0).margin(0.1));
    // 5 ms of scheduling jitter over two minutes: a few ppm of uncertainty.
    CHECK(e.stderr_ppm < 3.0);
    CHECK(std::abs(e.drift_ppm - drift_ppm) < std::max(4.0 * e.stderr_ppm, 0.5));
    CHECK(e.rate_hz == Approx(48000.0 * (1.0 + drift_ppm * 1e-6)).epsilon(1e-5));
  }
}

TEST_CASE("ClockDriftEstimator uncertainty shrinks as the call goes on", "[pipeline][drift]") {
  const auto short_call = simulate(8000.0, 80.0, 10.0, 10.0, 3);
  const auto long_call = simulate(8000.0, 80.0, 10.0, 300.0, 3);
  CHECK(long_call.stderr_ppm < short_call.stderr_ppm / 10.0);
  CHECK(std::abs(long_call.drift_ppm - 80.0) < 4.0 * long_call.stderr_ppm + 0.5);
}

TEST_CASE("ClockDriftEstimator says nothing before three stamps and ignores stale ones", "[pipeline][drift]") {
  ClockDriftEstimator e(8000.0);
  CHECK(e.estimate().rate_hz == 0.0);
  CHECK(std::isinf(e.estimate().stderr_ppm));
  e.add(1'000'000'000, 80);
  e.add(1'010'000'000, 160);
  CHECK(e.estimate().points == 2);
  CHECK(std::isinf(e.estimate().stderr_ppm));
  e.add(1'010'000'000, 999);  // same time: ignored
  e.add(1'005'000'000, 999);  // earlier: ignored
  CHECK(e.estimate().points == 2);
  e.add(1'020'000'000, 240);
  CHECK(e.estimate().points == 3);
  CHECK(e.estimate().rate_hz == Approx(8000.0));
  CHECK(e.estimate().stderr_ppm == Approx(0.0).margin(1e-6));
  e.reset();
  CHECK(e.estimate().points == 0);
}

TEST_CASE("ClockDriftEstimator rejects a nominal rate that is not positive", "[pipeline][drift]") {
  CHECK_THROWS_AS(ClockDriftEstimator(0.0), std::invalid_argument);
  CHECK_THROWS_AS(ClockDriftEstimator(-8000.0), std::invalid_argument);
  CHECK_THROWS_AS(ClockDriftEstimator(NAN), std::invalid_argument);
}
