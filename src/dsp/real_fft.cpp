#include "dsp/real_fft.h"

#include <cassert>
#include <stdexcept>
#include <string>
#include <utility>

namespace tw::dsp {

static_assert(sizeof(std::complex<float>) == sizeof(kiss_fft_cpx),
              "std::complex<float> and kiss_fft_cpx must share a layout");

RealFft::RealFft(std::size_t size, Directions directions) : size_(size) {
  if (size == 0 || size % 2 != 0) {
    throw std::invalid_argument("RealFft: size must be even and > 0, got " + std::to_string(size));
  }
  const bool forward = directions != Directions::inverse_only;
  const bool inverse = directions != Directions::forward_only;
  if (forward) forward_ = kiss_fftr_alloc(static_cast<int>(size), 0, nullptr, nullptr);
  if (inverse) inverse_ = kiss_fftr_alloc(static_cast<int>(size), 1, nullptr, nullptr);
  if ((forward && forward_ == nullptr) || (inverse && inverse_ == nullptr)) {
    kiss_fftr_free(forward_);
    kiss_fftr_free(inverse_);
    throw std::runtime_error("RealFft: KissFFT could not allocate a plan of size " + std::to_string(size));
  }
}

RealFft::~RealFft() {
  kiss_fftr_free(forward_);
  kiss_fftr_free(inverse_);
}

RealFft::RealFft(RealFft&& other) noexcept
    : size_(std::exchange(other.size_, 0)),
      forward_(std::exchange(other.forward_, nullptr)),
      inverse_(std::exchange(other.inverse_, nullptr)) {}

RealFft& RealFft::operator=(RealFft&& other) noexcept {
  if (this != &other) {
    kiss_fftr_free(forward_);
    kiss_fftr_free(inverse_);
    size_ = std::exchange(other.size_, 0);
    forward_ = std::exchange(other.forward_, nullptr);
    inverse_ = std::exchange(other.inverse_, nullptr);
  }
  return *this;
}

void RealFft::forward(std::span<const float> in, std::span<std::complex<float>> out) noexcept {
  assert(forward_ != nullptr);
  kiss_fftr(forward_, in.data(), reinterpret_cast<kiss_fft_cpx*>(out.data()));
}

void RealFft::inverse(std::span<const std::complex<float>> in, std::span<float> out) noexcept {
  assert(inverse_ != nullptr);
  kiss_fftri(inverse_, reinterpret_cast<const kiss_fft_cpx*>(in.data()), out.data());
}

}  // namespace tw::dsp
