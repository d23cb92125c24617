#pragma once
// Four real FFTs of one size in one call: KissFFT's SIMD mode.

#include <cstddef>
#include <optional>
#include <span>

#include "dsp/lanes4.h"
#include "dsp/real_fft.h"

namespace tw::dsp {

/// Forward and inverse real FFTs of a fixed even size on four signals at once.
///
/// With KissFFT's SIMD mode compiled in (cmake/kissfft_simd.cmake, x86-64) one call
/// costs about what one scalar transform does, so frames that can wait for each other
/// (the hops of a block, both speakers of a call) are transformed four at a time.
/// Without it, each call runs the scalar library once per lane: the same results to
/// float rounding. Every lane is computed by the same operations whichever lanes are
/// in use, so a frame's spectrum does not depend on the frames it was batched with.
/// Plans belong to the calling thread, as RealFft's do.
class RealFft4 {
 public:
  static constexpr std::size_t kLanes = 4;
  using Directions = RealFft::Directions;

  /// Makes this thread's plans now. Throws std::invalid_argument for odd or zero sizes.
  explicit RealFft4(std::size_t size, Directions directions = Directions::both);

  std::size_t size() const noexcept { return size_; }
  std::size_t bins() const noexcept { return size_ / 2 + 1; }
  /// Whether KissFFT's SIMD mode is compiled in (else four scalar calls).
  static bool simd() noexcept;

  /// Forward transforms: `in` holds size() samples of the four signals (sample i of
  /// lane j is in[i].lane[j]); `out` 2 * bins(): bin k's real parts at out[2k], its
  /// imaginary parts at out[2k + 1]. Real-time safe once this thread has made a
  /// transform of this size and direction. `in` and `out` must not overlap.
  void forward(std::span<const Lanes4> in, std::span<Lanes4> out) const noexcept;
  /// Unnormalized inverse transforms, the layouts swapped (the result is size()
  /// times each signal). Real-time safe as forward().
  void inverse(std::span<const Lanes4> in, std::span<Lanes4> out) const noexcept;

 private:
  std::size_t size_ = 0;
  [[maybe_unused]] Directions directions_ = Directions::both;  // read by the debug-build checks only
  // The transforms when the SIMD mode is not compiled in; left empty when it is, so
  // that a thread holds no scalar plans it never uses. (An optional, not an #if: the
  // build's choice is private to tw_dsp, and every includer must see one layout.)
  std::optional<RealFft> scalar_;
};

}  // namespace tw::dsp
