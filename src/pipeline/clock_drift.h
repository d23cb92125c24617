#pragma once
// How fast a live source's clock really runs. Two sound devices never share a
// clock: a headset's crystal and the motherboard's differ by tens of parts per
// million, so by sample counts alone the two tracks slide apart (100 ppm is 6 ms a
// minute, 0.36 s an hour). The estimator fits frames delivered against the steady
// clock by least squares over the whole call, which averages out the jitter of
// callback times; the slope's standard error says when the estimate means something.

#include <cstdint>

namespace tw::pipeline {

/// A rate estimate: the source's frames per second against the steady clock.
struct DriftEstimate {
  double elapsed_s = 0.0;     ///< time the fit spans
  std::uint64_t points = 0;   ///< stamps fitted
  double rate_hz = 0.0;       ///< measured rate (0 until at least 3 points)
  double drift_ppm = 0.0;     ///< (rate - nominal) / nominal, parts per million
  double stderr_ppm = 0.0;    ///< standard error of drift_ppm (infinite until 3 points)
};

class ClockDriftEstimator {
 public:
  /// `nominal_rate_hz` > 0. Throws std::invalid_argument otherwise.
  explicit ClockDriftEstimator(double nominal_rate_hz);

  /// One stamp: `frames` delivered up to `steady_ns`. Stamps must come in time order;
  /// a repeated or older stamp is ignored. Real-time safe.
  void add(std::int64_t steady_ns, std::uint64_t frames) noexcept;
  DriftEstimate estimate() const noexcept;
  double nominal_rate_hz() const noexcept { return nominal_rate_hz_; }
  void reset() noexcept;

 private:
  double nominal_rate_hz_;
  bool started_ = false;
  std::int64_t first_ns_ = 0, last_ns_ = 0;
  std::uint64_t first_frames_ = 0;
  // Welford's running means and co-moments of x = seconds since the first stamp and
  // y = frames beyond what the nominal rate would have delivered by then.
  std::uint64_t n_ = 0;
  double mean_x_ = 0.0, mean_y_ = 0.0, m2_x_ = 0.0, m2_y_ = 0.0, c_xy_ = 0.0;
};

}  // namespace tw::pipeline
