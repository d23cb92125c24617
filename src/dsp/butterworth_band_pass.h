#pragma once
// A 4th-order Butterworth band-pass, as four biquads: the telephone band of test
// calls and test signals.

#include <array>
#include <span>

namespace tw::dsp {

/// One second-order IIR section, transposed direct form II (double state).
struct Biquad {
  double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;
  double z1 = 0.0, z2 = 0.0;
  /// Real-time safe.
  float process(float x) noexcept {
    const double y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return static_cast<float>(y);
  }
};

/// A 4th-order Butterworth high-pass at `low_hz` followed by a 4th-order
/// Butterworth low-pass at `high_hz`, each as two biquads (-3 dB at both edges,
/// 24 dB/octave outside).
class ButterworthBandPass {
 public:
  /// Throws std::invalid_argument unless 0 < low_hz < high_hz < rate_hz / 2.
  ButterworthBandPass(int rate_hz, double low_hz, double high_hz);
  /// Filters in place. Real-time safe.
  void process(std::span<float> samples) noexcept;
  /// Clears the filter state, as a fresh instance.
  void reset() noexcept;
  /// Magnitude response at `frequency_hz` (linear gain), from the coefficients.
  double gain_at(double frequency_hz) const noexcept;

 private:
  int rate_hz_;
  std::array<Biquad, 4> sections_;
};

}  // namespace tw::dsp
