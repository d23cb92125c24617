#include "dsp/real_fft4.h"

#include <cassert>
#include <complex>
#include <new>
#include <stdexcept>
#include <string>

#include "dsp/thread_plans.h"
#include "dsp/thread_scratch.h"
#if TW_KISSFFT_SIMD
#include "dsp/kissfft_simd.h"
#endif

namespace tw::dsp {
namespace {

#if TW_KISSFFT_SIMD
// This thread's SIMD plans (RealFft's reasons).
using Plans4 = ThreadPlans<kiss4::Plan, kiss4::alloc, kiss4::free>;
#else
// The scalar path's one lane in and out.
struct LaneRealUse;
struct LaneComplexUse;
using LaneReal = ThreadScratch<float, LaneRealUse>;
using LaneComplex = ThreadScratch<std::complex<float>, LaneComplexUse>;
#endif

}  // namespace

RealFft4::RealFft4(std::size_t size, Directions directions) : size_(size), directions_(directions) {
  if (size == 0 || size % 2 != 0) {
    throw std::invalid_argument("RealFft4: size must be even and > 0, got " + std::to_string(size));
  }
#if TW_KISSFFT_SIMD
  try {
    if (directions != Directions::inverse_only) Plans4::mine().get(size, false);
    if (directions != Directions::forward_only) Plans4::mine().get(size, true);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("RealFft4: KissFFT could not allocate a plan of size " + std::to_string(size));
  }
#else
  scalar_.emplace(size, directions);
  LaneReal::reserve(size);
  LaneComplex::reserve(bins());
#endif
}

bool RealFft4::simd() noexcept { return TW_KISSFFT_SIMD != 0; }

void RealFft4::forward(std::span<const Lanes4> in, std::span<Lanes4> out) const noexcept {
  assert(directions_ != Directions::inverse_only);
  assert(in.size() == size_ && out.size() == 2 * bins());
#if TW_KISSFFT_SIMD
  kiss4::forward(Plans4::mine().get(size_, false), in.data(), out.data());
#else
  const std::span<float> x = LaneReal::get(size_);
  const std::span<std::complex<float>> X = LaneComplex::get(bins());
  for (std::size_t j = 0; j < kLanes; ++j) {
    for (std::size_t i = 0; i < size_; ++i) x[i] = in[i].lane[j];
    scalar_->forward(x, X);
    for (std::size_t k = 0; k < X.size(); ++k) {
      out[2 * k].lane[j] = X[k].real();
      out[2 * k + 1].lane[j] = X[k].imag();
    }
  }
#endif
}

void RealFft4::inverse(std::span<const Lanes4> in, std::span<Lanes4> out) const noexcept {
  assert(directions_ != Directions::forward_only);
  assert(in.size() == 2 * bins() && out.size() == size_);
#if TW_KISSFFT_SIMD
  kiss4::inverse(Plans4::mine().get(size_, true), in.data(), out.data());
#else
  const std::span<float> x = LaneReal::get(size_);
  const std::span<std::complex<float>> X = LaneComplex::get(bins());
  for (std::size_t j = 0; j < kLanes; ++j) {
    for (std::size_t k = 0; k < X.size(); ++k) X[k] = {in[2 * k].lane[j], in[2 * k + 1].lane[j]};
    scalar_->inverse(X, x);
    for (std::size_t i = 0; i < size_; ++i) out[i].lane[j] = x[i];
  }
#endif
}

}  // namespace tw::dsp
