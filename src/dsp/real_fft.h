#pragma once
// Real-input FFT on KissFFT, with the plans kept per thread.

#include <complex>
#include <cstddef>
#include <span>

namespace tw::dsp {

/// Forward and inverse real FFT of a fixed even size.
///
/// A KissFFT real-FFT plan holds its scratch buffer as well as its twiddles, so it
/// cannot be shared between threads; but nothing ties it to a stream. The plans
/// therefore belong to the thread that runs the transform, one per size and
/// direction, shared by every stream that thread analyses: a server worker that
/// serves hundreds of calls in turn reads one warm plan instead of each call's
/// own, cold (about 5 KiB a stream at 320 points). A RealFft is only the size and
/// the directions it may run.
class RealFft {
 public:
  /// Which transforms an instance makes (checked in debug builds).
  enum class Directions { both, forward_only, inverse_only };

  /// Makes the plans it needs on this thread now, so that a size KissFFT cannot
  /// plan fails here. Throws std::invalid_argument for odd or zero sizes.
  explicit RealFft(std::size_t size, Directions directions = Directions::both);

  std::size_t size() const noexcept { return size_; }
  std::size_t bins() const noexcept { return size_ / 2 + 1; }

  /// Forward transform: `in` has size() samples, `out` has bins() values.
  /// Real-time safe once this thread has made a transform of this size and
  /// direction (the first one on a thread allocates its plan). `in` and `out`
  /// must not alias (KissFFT would allocate).
  void forward(std::span<const float> in, std::span<std::complex<float>> out) const noexcept;
  /// Unnormalized inverse: `in` has bins() values, `out` size() samples
  /// (the result is size() times the original signal). Real-time safe as forward().
  void inverse(std::span<const std::complex<float>> in, std::span<float> out) const noexcept;

 private:
  std::size_t size_ = 0;
  [[maybe_unused]] Directions directions_ = Directions::both;  // read by the debug-build checks only
};

}  // namespace tw::dsp
