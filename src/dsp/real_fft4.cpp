#include "dsp/real_fft4.h"

#include <cassert>
#include <complex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/thread_scratch.h"
#if TW_KISSFFT_SIMD
#include "dsp/kissfft_simd.h"
#endif

namespace tw::dsp {
namespace {

#if TW_KISSFFT_SIMD
/// This thread's SIMD plans, by size and direction (a plan holds its scratch, so it
/// cannot be shared between threads: see RealFft); freed when the thread ends.
class ThreadPlans4 {
 public:
  ThreadPlans4() = default;
  ThreadPlans4(const ThreadPlans4&) = delete;
  ThreadPlans4& operator=(const ThreadPlans4&) = delete;
  ~ThreadPlans4() {
    for (const Plan& p : plans_) kiss4::free(p.plan);
  }

  /// The plan, made on first use. Throws std::bad_alloc if KissFFT cannot allocate it.
  kiss4::Plan* get(std::size_t size, bool inverse) {
    for (const Plan& p : plans_) {
      if (p.size == size && p.inverse == inverse) return p.plan;
    }
    plans_.reserve(plans_.size() + 1);  // before the plan, so a failure here leaks nothing
    kiss4::Plan* plan = kiss4::alloc(size, inverse);
    if (plan == nullptr) throw std::bad_alloc();
    plans_.push_back({size, inverse, plan});
    return plan;
  }

 private:
  struct Plan {
    std::size_t size;
    bool inverse;
    kiss4::Plan* plan;
  };
  std::vector<Plan> plans_;
};

ThreadPlans4& thread_plans4() {
  thread_local ThreadPlans4 plans;
  return plans;
}
#else
// The scalar path's one lane in and out.
struct LaneRealUse;
struct LaneComplexUse;
using LaneReal = ThreadScratch<float, LaneRealUse>;
using LaneComplex = ThreadScratch<std::complex<float>, LaneComplexUse>;
#endif

}  // namespace

RealFft4::RealFft4(std::size_t size, Directions directions)
    : size_(size), directions_(directions), scalar_(size, directions) {
#if TW_KISSFFT_SIMD
  try {
    if (directions != Directions::inverse_only) thread_plans4().get(size, false);
    if (directions != Directions::forward_only) thread_plans4().get(size, true);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("RealFft4: KissFFT could not allocate a plan of size " + std::to_string(size));
  }
#else
  LaneReal::reserve(size);
  LaneComplex::reserve(bins());
#endif
}

bool RealFft4::simd() noexcept { return TW_KISSFFT_SIMD != 0; }

void RealFft4::forward(std::span<const Lanes4> in, std::span<Lanes4> out) const noexcept {
  assert(directions_ != Directions::inverse_only);
  assert(in.size() == size_ && out.size() == 2 * bins());
#if TW_KISSFFT_SIMD
  kiss4::forward(thread_plans4().get(size_, false), in.data(), out.data());
#else
  const std::span<float> x = LaneReal::get(size_);
  const std::span<std::complex<float>> X = LaneComplex::get(bins());
  for (std::size_t j = 0; j < kLanes; ++j) {
    for (std::size_t i = 0; i < size_; ++i) x[i] = in[i].lane[j];
    scalar_.forward(x, X);
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
  kiss4::inverse(thread_plans4().get(size_, true), in.data(), out.data());
#else
  const std::span<float> x = LaneReal::get(size_);
  const std::span<std::complex<float>> X = LaneComplex::get(bins());
  for (std::size_t j = 0; j < kLanes; ++j) {
    for (std::size_t k = 0; k < X.size(); ++k) X[k] = {in[2 * k].lane[j], in[2 * k + 1].lane[j]};
    scalar_.inverse(X, x);
    for (std::size_t i = 0; i < size_; ++i) out[i].lane[j] = x[i];
  }
#endif
}

}  // namespace tw::dsp
