#pragma once
// Frames gathered so that their spectra are computed four per transform.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/spectrum_analyzer.h"

namespace tw::dsp {

/// Frames of one or more streams (both speakers of a call, the hops of a block),
/// gathered and then analysed together: SpectrumAnalyzer::power_spectra transforms
/// four at a time (RealFft4), a quarter of the cost of one transform each. A frame's
/// spectrum does not depend on its batch, so the features do not either.
///
/// The batch copies each frame's samples (a FrameAssembler's view of them moves on as
/// it slides its history). Its memory is the thread's, as every per-hop scratch is
/// (dsp/thread_scratch.h): this_thread() gives the one batch of the calling thread,
/// for use within one call of the code that fills it.
class FrameBatch {
 public:
  /// Frames a batch holds: both channels of CallAnalyzer's 640-frame block (8 hops
  /// each, one more when a partial hop was carried in).
  static constexpr std::size_t kCapacity = 18;

  /// Makes this thread's batch hold kCapacity frames of `frame_samples` now, so that
  /// a later this_thread() does not allocate. Constructors call it.
  static void reserve(std::size_t frame_samples) { this_thread(frame_samples); }
  /// This thread's batch, with room for kCapacity frames of `frame_samples`.
  /// Real-time safe once reserve() ran on this thread (the first use on another
  /// thread allocates, as dsp::ThreadScratch and the KissFFT plans do).
  static FrameBatch& this_thread(std::size_t frame_samples) noexcept;

  void clear() noexcept { size_ = 0; analysed_ = 0; }
  std::size_t size() const noexcept { return size_; }
  bool full() const noexcept { return size_ == kCapacity; }

  /// Adds a copy of `frame` (frame_samples() samples as reserved), centred on sample
  /// hop_index * hop_samples of stream `stream` (the caller's numbering). Not when full().
  void add(int stream, std::span<const float> frame, std::int64_t hop_index) noexcept;

  /// Computes the power spectra of the frames added since the last analyze(), four
  /// per transform. Real-time safe.
  void analyze(const SpectrumAnalyzer& analyzer, std::size_t hop_samples) noexcept;

  /// Frame i (i < size()) once analysed, and the stream it was added for.
  const AnalysisFrame& frame(std::size_t i) const noexcept { return frames_[i]; }
  int stream(std::size_t i) const noexcept { return streams_[i]; }

 private:
  FrameBatch() = default;
  std::size_t frame_samples_ = 0;
  std::size_t bins_ = 0;
  std::vector<float> samples_;  // kCapacity frames
  std::vector<float> power_;    // kCapacity spectra
  std::array<AnalysisFrame, kCapacity> frames_{};
  std::array<int, kCapacity> streams_{};
  std::size_t size_ = 0;
  std::size_t analysed_ = 0;
};

}  // namespace tw::dsp
