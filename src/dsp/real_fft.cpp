#include "dsp/real_fft.h"

#include <kissfft/kiss_fftr.h>

#include <cassert>
#include <new>
#include <stdexcept>
#include <string>

#include "dsp/thread_plans.h"

namespace tw::dsp {
namespace {

static_assert(sizeof(std::complex<float>) == sizeof(kiss_fft_cpx),
              "std::complex<float> and kiss_fft_cpx must share a layout");

kiss_fftr_state* alloc_plan(std::size_t size, bool inverse) {
  return kiss_fftr_alloc(static_cast<int>(size), inverse ? 1 : 0, nullptr, nullptr);
}
void free_plan(kiss_fftr_state* plan) { kiss_fftr_free(plan); }
using Plans = ThreadPlans<kiss_fftr_state, alloc_plan, free_plan>;

}  // namespace

RealFft::RealFft(std::size_t size, Directions directions) : size_(size), directions_(directions) {
  if (size == 0 || size % 2 != 0) {
    throw std::invalid_argument("RealFft: size must be even and > 0, got " + std::to_string(size));
  }
  try {
    if (directions != Directions::inverse_only) Plans::mine().get(size, false);
    if (directions != Directions::forward_only) Plans::mine().get(size, true);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("RealFft: KissFFT could not allocate a plan of size " + std::to_string(size));
  }
}

// noexcept: a plan that cannot be allocated on a new thread ends the process, as
// any allocation failure in the analysis path would.
void RealFft::forward(std::span<const float> in, std::span<std::complex<float>> out) const noexcept {
  assert(directions_ != Directions::inverse_only);
  assert(in.size() == size_ && out.size() == bins());
  kiss_fftr(Plans::mine().get(size_, false), in.data(), reinterpret_cast<kiss_fft_cpx*>(out.data()));
}

void RealFft::inverse(std::span<const std::complex<float>> in, std::span<float> out) const noexcept {
  assert(directions_ != Directions::forward_only);
  assert(in.size() == bins() && out.size() == size_);
  kiss_fftri(Plans::mine().get(size_, true), reinterpret_cast<const kiss_fft_cpx*>(in.data()), out.data());
}

}  // namespace tw::dsp
