#pragma once
// What a telephone line does to a voice, for building test calls: the 300-3400 Hz
// band, the ITU-T P.56 active speech level, and a low hiss on every channel.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tw::tools {

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

/// Telephone band-pass: a 4th-order Butterworth high-pass at `low_hz` followed by
/// a 4th-order Butterworth low-pass at `high_hz`, each as two biquads (-3 dB at
/// both edges, 24 dB/octave outside).
class TelephoneBandFilter {
 public:
  /// Throws std::invalid_argument unless 0 < low_hz < high_hz < rate_hz / 2.
  explicit TelephoneBandFilter(int rate_hz, double low_hz = 300.0, double high_hz = 3400.0);
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

/// Returned by active_speech_level_dbfs for a signal with no activity at all.
inline constexpr double kNoSpeechLevelDbfs = -200.0;

/// Active speech level by ITU-T P.56 (method B): the mean power over the samples
/// whose envelope exceeds a threshold 15.9 dB below that mean power, with a
/// 200 ms hangover. In dB re full-scale sine (the scale of tonewatch's
/// level_dbfs), so a full-scale sine reads 0 dB. kNoSpeechLevelDbfs for silence.
double active_speech_level_dbfs(std::span<const float> samples, int rate_hz);

/// Gaussian noise limited to the telephone band, at exactly `level_dbfs` RMS
/// (dB re full-scale sine). Deterministic for a given (seed, stream): each
/// channel of a call uses its own stream number so the channels are independent.
std::vector<float> line_noise(std::size_t frames, int rate_hz, double level_dbfs, std::uint64_t seed,
                              std::uint64_t stream);

}  // namespace tw::tools
