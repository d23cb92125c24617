#pragma once
// One window and one real FFT per hop, shared by every feature extractor.

#include <complex>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/real_fft.h"
#include "dsp/shared_table.h"
#include "dsp/thread_scratch.h"

namespace tw::dsp {

/// The analysed frame every extractor reads. Its spectra live in the analysing
/// thread's scratch (dsp/thread_scratch.h), valid until the next analyze() of a frame
/// of this size on this thread, by this analyzer or any other: consume it before.
struct AnalysisFrame {
  std::int64_t hop_index = 0;
  /// Stream time of the frame centre, in seconds (from sample counts).
  double centre_time_s = 0.0;
  /// Unwindowed samples of the frame.
  std::span<const float> samples;
  /// Complex spectrum of the windowed frame, size/2 + 1 bins.
  std::span<const std::complex<float>> spectrum;
  /// |X_k|^2 of the windowed frame.
  std::span<const float> power;
};

/// Windows a frame (periodic Hann) and computes its spectrum and power spectrum.
class SpectrumAnalyzer {
 public:
  /// Allocates window, FFT plan and buffers for frames of `frame_samples` at `sample_rate_hz`.
  SpectrumAnalyzer(std::size_t frame_samples, int sample_rate_hz);

  std::size_t frame_samples() const noexcept { return window_.size(); }
  std::size_t bins() const noexcept { return window_.size() / 2 + 1; }
  int sample_rate_hz() const noexcept { return sample_rate_hz_; }
  double bin_hz() const noexcept { return static_cast<double>(sample_rate_hz_) / window_.size(); }
  /// The analysis window, and its energy sum w[n]^2 (for Parseval scaling).
  std::span<const float> window() const noexcept { return window_; }
  double window_energy() const noexcept { return window_energy_; }

  /// Analyses a frame of frame_samples() samples centred on sample
  /// hop_index * hop_samples of the stream. Real-time safe.
  const AnalysisFrame& analyze(std::span<const float> frame, std::int64_t hop_index,
                               std::size_t hop_samples) noexcept;

 private:
  int sample_rate_hz_;
  SharedTable<float> window_;  // one copy for every stream with this frame size
  double window_energy_;
  RealFft fft_;
  // Per-thread scratch: a worker serving many calls keeps one warm copy.
  struct WindowedUse;
  struct SpectrumUse;
  struct PowerUse;
  using Windowed = ThreadScratch<float, WindowedUse>;
  using Spectrum = ThreadScratch<std::complex<float>, SpectrumUse>;
  using Power = ThreadScratch<float, PowerUse>;
  AnalysisFrame frame_;
};

}  // namespace tw::dsp
