#pragma once
// The fixed analysis geometry every tonewatch stream shares.

#include <cstddef>
#include <cstdint>

namespace tw::dsp {

/// All analysis runs at the telephone rate, so a wideband recording and a phone
/// stream of the same voice give the same features.
inline constexpr int kAnalysisRateHz = 8000;
/// One feature vector per 10 ms hop.
inline constexpr std::size_t kHopSize10ms8kHz = 80;
/// 40 ms analysis frame: about 2.5 periods of a 60 Hz voice, 3 periods at 75 Hz,
/// and an FFT size (2^6 * 5) KissFFT handles with radix-4/5 butterflies.
inline constexpr std::size_t kFrameSize40ms8kHz = 320;
/// Bins of the one-sided spectrum of a frame.
inline constexpr std::size_t kSpectrumBins = kFrameSize40ms8kHz / 2 + 1;
/// Spacing of those bins.
inline constexpr double kBinSpacingHz = static_cast<double>(kAnalysisRateHz) / kFrameSize40ms8kHz;

/// Seconds of the stream at which a sample index lies (time comes from sample counts).
constexpr double samples_to_seconds(std::int64_t samples) noexcept {
  return static_cast<double>(samples) / kAnalysisRateHz;
}

}  // namespace tw::dsp
