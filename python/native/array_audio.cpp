#include "array_audio.h"

#include <cmath>
#include <cstring>
#include <string>

namespace py = pybind11;

namespace tw::python {
namespace {

std::string shape_text(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t d = 0; d < array.ndim(); ++d) {
    text += (d ? ", " : "") + std::to_string(array.shape(d));
  }
  return text + (array.ndim() == 1 ? ",)" : ")");
}

// Reads element (frame, channel) of a 1-D or 2-D array of T through its strides.
template <class T>
T element(const py::array& array, std::int64_t frame, int channel) {
  const auto* base = static_cast<const char*>(array.data());
  py::ssize_t offset = frame * array.strides(0);
  if (array.ndim() == 2) offset += channel * array.strides(1);
  T value;
  std::memcpy(&value, base + offset, sizeof value);
  return value;
}

template <class T>
void convert(const py::array& array, std::int64_t frames, int channels, float scale, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(frames) * static_cast<std::size_t>(channels));
  for (std::int64_t f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) {
      out[static_cast<std::size_t>(f * channels + c)] = static_cast<float>(element<T>(array, f, c)) * scale;
    }
  }
}

}  // namespace

ArrayAudio::ArrayAudio(const py::array& array, const char* what) : array_(array) {
  const std::string name = what;
  if (array.ndim() != 1 && array.ndim() != 2) {
    throw py::value_error(name + ": expected an array of shape (frames,) or (frames, channels), not " +
                          shape_text(array));
  }
  frames_ = array.shape(0);
  channels_ = array.ndim() == 2 ? static_cast<int>(array.shape(1)) : 1;
  if (channels_ < 1 || channels_ > 2) {
    const bool transposed = array.shape(0) >= 1 && array.shape(0) <= 2 && array.shape(1) > 2;
    throw py::value_error(name + ": " + std::to_string(array.shape(1)) + " channels in an array of shape " +
                          shape_text(array) + "; tonewatch takes 1 or 2 (frames along the first axis" +
                          (transposed ? ": did you mean the array's .T?)" : ")"));
  }
  if (frames_ == 0) throw py::value_error(name + ": the array holds no samples");

  // By kind and size, not by identity: an equal dtype may be another object (an
  // unpickled array's, one with metadata). Another byte order is converted first.
  py::dtype dtype = array.dtype();
  const char kind = dtype.kind();
  const auto size = dtype.itemsize();
  const bool is_float32 = kind == 'f' && size == 4, is_float64 = kind == 'f' && size == 8;
  const bool is_int16 = kind == 'i' && size == 2;
  if (!is_float32 && !is_float64 && !is_int16) {
    throw py::type_error(name + ": dtype " + py::str(static_cast<py::handle>(dtype)).cast<std::string>() +
                         " is not float32, float64 or int16");
  }
  if (!dtype.attr("isnative").cast<bool>()) {
    array_ = array.attr("astype")(dtype.attr("newbyteorder")("="));
    dtype = array_.dtype();
  }
  const bool c_contiguous = (array_.flags() & py::array::c_style) != 0;
  if (is_float32) {
    dtype_ = "float32";
    if (c_contiguous) {
      samples_ = {static_cast<const float*>(array_.data()), static_cast<std::size_t>(frames_ * channels_)};
    } else {
      convert<float>(array_, frames_, channels_, 1.0f, converted_);
    }
  } else if (is_float64) {
    dtype_ = "float64";
    convert<double>(array_, frames_, channels_, 1.0f, converted_);
  } else {
    dtype_ = "int16";
    convert<std::int16_t>(array_, frames_, channels_, 1.0f / 32768.0f, converted_);
  }
  if (!converted_.empty()) samples_ = converted_;

  // A NaN would spread through every filter it reaches; a float64 beyond float's
  // range becomes infinite here. Either is refused, naming where it is.
  if (dtype_ != "int16") {
    for (std::size_t i = 0; i < samples_.size(); ++i) {
      if (!std::isfinite(samples_[i])) {
        const std::size_t frame = i / static_cast<std::size_t>(channels_);
        const std::size_t channel = i % static_cast<std::size_t>(channels_);
        throw py::value_error(name + ": sample at frame " + std::to_string(frame) + ", channel " +
                              std::to_string(channel) + " is " + (std::isnan(samples_[i]) ? "NaN" : "infinite") +
                              " (as " + dtype_ + "); tonewatch takes finite samples only");
      }
    }
  }
}

}  // namespace tw::python
