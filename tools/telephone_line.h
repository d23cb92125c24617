#pragma once
// What a telephone line does to a voice, for building test calls: the 300-3400 Hz
// band, the ITU-T P.56 active speech level, and a low hiss on every channel.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/butterworth_band_pass.h"

namespace tw::tools {

/// Telephone band-pass: the 4th-order Butterworth band, 300-3400 Hz by default.
class TelephoneBandFilter : public dsp::ButterworthBandPass {
 public:
  /// Throws std::invalid_argument unless 0 < low_hz < high_hz < rate_hz / 2.
  explicit TelephoneBandFilter(int rate_hz, double low_hz = 300.0, double high_hz = 3400.0)
      : dsp::ButterworthBandPass(rate_hz, low_hz, high_hz) {}
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
