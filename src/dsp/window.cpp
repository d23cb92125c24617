#include "dsp/window.h"

#include <cmath>
#include <numbers>

namespace tw::dsp {

std::vector<float> make_hann_window(std::size_t size) {
  std::vector<float> w(size);
  for (std::size_t n = 0; n < size; ++n) {
    w[n] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(n) /
                                                   static_cast<double>(size)));
  }
  return w;
}

double window_energy(std::span<const float> window) noexcept {
  double sum = 0.0;
  for (float v : window) sum += static_cast<double>(v) * v;
  return sum;
}

}  // namespace tw::dsp
