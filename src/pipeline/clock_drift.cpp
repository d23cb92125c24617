#include "pipeline/clock_drift.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tw::pipeline {

ClockDriftEstimator::ClockDriftEstimator(double nominal_rate_hz) : nominal_rate_hz_(nominal_rate_hz) {
  if (!(nominal_rate_hz > 0.0) || !std::isfinite(nominal_rate_hz)) {
    throw std::invalid_argument("ClockDriftEstimator: nominal rate must be > 0 Hz, got " + std::to_string(nominal_rate_hz));
  }
}

void ClockDriftEstimator::add(std::int64_t steady_ns, std::uint64_t frames) noexcept {
  if (!started_) {
    started_ = true;
    first_ns_ = last_ns_ = steady_ns;
    first_frames_ = frames;
  } else if (steady_ns <= last_ns_) {
    return;
  }
  last_ns_ = steady_ns;
  // Relative to the first stamp and to the nominal rate, so the numbers stay small
  // (an hour at 48 kHz is 1.7e8 frames; its residual from nominal is a few thousand).
  const double x = static_cast<double>(steady_ns - first_ns_) * 1e-9;
  const double y = static_cast<double>(frames - first_frames_) - nominal_rate_hz_ * x;
  ++n_;
  const double dx = x - mean_x_;
  mean_x_ += dx / static_cast<double>(n_);
  const double dy = y - mean_y_;
  mean_y_ += dy / static_cast<double>(n_);
  m2_x_ += dx * (x - mean_x_);
  m2_y_ += dy * (y - mean_y_);
  c_xy_ += dx * (y - mean_y_);
}

DriftEstimate ClockDriftEstimator::estimate() const noexcept {
  DriftEstimate e;
  e.points = n_;
  e.elapsed_s = static_cast<double>(last_ns_ - first_ns_) * 1e-9;
  if (n_ < 3 || !(m2_x_ > 0.0)) {
    e.stderr_ppm = std::numeric_limits<double>::infinity();
    return e;
  }
  // Least-squares slope and its standard error (residual variance over n - 2
  // degrees of freedom, divided by the spread of x).
  const double slope = c_xy_ / m2_x_;
  const double sse = std::max(0.0, m2_y_ - slope * c_xy_);
  const double slope_se = std::sqrt(sse / static_cast<double>(n_ - 2) / m2_x_);
  e.rate_hz = nominal_rate_hz_ + slope;
  e.drift_ppm = slope / nominal_rate_hz_ * 1e6;
  e.stderr_ppm = slope_se / nominal_rate_hz_ * 1e6;
  return e;
}

void ClockDriftEstimator::reset() noexcept { *this = ClockDriftEstimator(nominal_rate_hz_); }

}  // namespace tw::pipeline
