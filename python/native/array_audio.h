#pragma once
// Audio handed over from NumPy: checked (shape, dtype, finite samples) and seen
// as interleaved float frames, without a copy when the array already is one.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <pybind11/numpy.h>

namespace tw::python {

/// Samples of an array as the analysis reads them. Holds a reference to the
/// array (destroy it with the GIL held); samples() stays valid while it lives.
class ArrayAudio {
 public:
  /// Accepts shape (frames,) or (frames, channels) with 1 or 2 channels, dtype
  /// float32, float64 (samples in [-1, 1]) or int16 (full scale 32768), any
  /// strides. A C-contiguous float32 array is read in place; any other is
  /// converted once. Throws pybind11::type_error for another dtype and
  /// pybind11::value_error for another shape, no samples, or a NaN or infinite
  /// sample (naming its frame and channel). `what` names the argument in messages.
  ArrayAudio(const pybind11::array& array, const char* what);

  std::span<const float> samples() const noexcept { return samples_; }
  int channels() const noexcept { return channels_; }
  std::int64_t frames() const noexcept { return frames_; }
  /// "float32", "float64" or "int16".
  const std::string& dtype() const noexcept { return dtype_; }
  /// The array was read in place (no copy made).
  bool zero_copy() const noexcept { return converted_.empty(); }

 private:
  pybind11::array array_;
  std::vector<float> converted_;
  std::span<const float> samples_;
  int channels_ = 1;
  std::int64_t frames_ = 0;
  std::string dtype_;
};

}  // namespace tw::python
