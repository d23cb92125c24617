#pragma once
// One window and one real FFT per hop, shared by every feature extractor.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/real_fft4.h"
#include "dsp/shared_table.h"
#include "dsp/thread_scratch.h"

namespace tw::dsp {

/// The analysed frame every extractor reads. Its power spectrum lives in scratch of the
/// analysing thread (dsp/thread_scratch.h, or a dsp::FrameBatch), valid until the next
/// analysis of a frame on this thread: consume it before.
struct AnalysisFrame {
  std::int64_t hop_index = 0;
  /// Stream time of the frame centre, in seconds (from sample counts).
  double centre_time_s = 0.0;
  /// Unwindowed samples of the frame.
  std::span<const float> samples;
  /// |X_k|^2 of the windowed frame, size/2 + 1 bins.
  std::span<const float> power;
};

/// Windows frames (periodic Hann) and computes their power spectra, up to four in one
/// transform (RealFft4).
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
  /// hop_index * hop_samples of the stream. Real-time safe. Frames that can wait for
  /// each other cost a quarter of this each through power_spectra() (dsp::FrameBatch).
  const AnalysisFrame& analyze(std::span<const float> frame, std::int64_t hop_index,
                               std::size_t hop_samples) noexcept;

  /// The power spectra of up to RealFft4::kLanes frames in one transform: frames[j]
  /// (frame_samples() samples) into powers[j] (bins() values). Each frame's spectrum
  /// is the one analyze() gives it, whichever frames share the call. Real-time safe.
  void power_spectra(std::span<const float* const> frames, std::span<float* const> powers) const noexcept;

 private:
  int sample_rate_hz_;
  SharedTable<float> window_;  // one copy for every stream with this frame size
  double window_energy_;
  RealFft4 fft_;
  // Per-thread scratch: a worker serving many calls keeps one warm copy.
  struct WindowedUse;
  struct SpectrumUse;
  struct PowerUse;
  struct LanePowerUse;
  using Windowed = ThreadScratch<Lanes4, WindowedUse>;
  using Spectrum = ThreadScratch<Lanes4, SpectrumUse>;
  using Power = ThreadScratch<float, PowerUse>;
  using LanePower = ThreadScratch<Lanes4, LanePowerUse>;
  AnalysisFrame frame_;
};

}  // namespace tw::dsp
