#pragma once
// Real-input FFT on KissFFT, one configuration per stream.

#include <kissfft/kiss_fftr.h>

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace tw::dsp {

/// Forward and inverse real FFT of a fixed even size. Each stream owns its own
/// instance: a KissFFT real-FFT configuration holds its scratch buffer as well as
/// its twiddles, so it cannot be shared between threads.
class RealFft {
 public:
  /// Which transforms an instance makes: a stream that needs one direction only
  /// does not carry the other's plan (about 3 KiB a plan at 320 points).
  enum class Directions { both, forward_only, inverse_only };

  /// Allocates the KissFFT plans. Throws std::invalid_argument for odd or zero sizes.
  explicit RealFft(std::size_t size, Directions directions = Directions::both);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;
  RealFft(RealFft&& other) noexcept;
  RealFft& operator=(RealFft&& other) noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t bins() const noexcept { return size_ / 2 + 1; }

  /// Forward transform: `in` has size() samples, `out` has bins() values.
  /// Real-time safe. Not on an inverse_only instance. `in` and `out` must not
  /// alias (KissFFT would allocate).
  void forward(std::span<const float> in, std::span<std::complex<float>> out) noexcept;
  /// Unnormalized inverse: `in` has bins() values, `out` size() samples
  /// (the result is size() times the original signal). Not on a forward_only instance.
  void inverse(std::span<const std::complex<float>> in, std::span<float> out) noexcept;

 private:
  std::size_t size_ = 0;
  kiss_fftr_cfg forward_ = nullptr;
  kiss_fftr_cfg inverse_ = nullptr;
};

}  // namespace tw::dsp
