#pragma once
// Real-input FFT on KissFFT, one configuration per stream.

#include <kissfft/kiss_fftr.h>

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace tw::dsp {

/// Forward and inverse real FFT of a fixed even size. Each stream owns its own
/// instance: KissFFT configurations hold twiddles only, but sharing them across
/// threads buys nothing and invites mistakes.
class RealFft {
 public:
  /// Allocates the KissFFT plans. Throws std::invalid_argument for odd or zero sizes.
  explicit RealFft(std::size_t size);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;
  RealFft(RealFft&& other) noexcept;
  RealFft& operator=(RealFft&& other) noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t bins() const noexcept { return size_ / 2 + 1; }

  /// Forward transform: `in` has size() samples, `out` has bins() values.
  /// Real-time safe. `in` and `out` must not alias (KissFFT would allocate).
  void forward(std::span<const float> in, std::span<std::complex<float>> out) noexcept;
  /// Unnormalized inverse: `in` has bins() values, `out` size() samples
  /// (the result is size() times the original signal).
  void inverse(std::span<const std::complex<float>> in, std::span<float> out) noexcept;

 private:
  std::size_t size_ = 0;
  kiss_fftr_cfg forward_ = nullptr;
  kiss_fftr_cfg inverse_ = nullptr;
};

}  // namespace tw::dsp
