#include "dsp/real_fft.h"

#include <kissfft/kiss_fftr.h>

#include <cassert>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace tw::dsp {
namespace {

static_assert(sizeof(std::complex<float>) == sizeof(kiss_fft_cpx),
              "std::complex<float> and kiss_fft_cpx must share a layout");

/// This thread's KissFFT plans, by size and direction; freed when the thread ends.
class ThreadPlans {
 public:
  ThreadPlans() = default;
  ThreadPlans(const ThreadPlans&) = delete;
  ThreadPlans& operator=(const ThreadPlans&) = delete;
  ~ThreadPlans() {
    for (const Plan& p : plans_) kiss_fftr_free(p.cfg);
  }

  /// The plan, made on first use. Throws std::bad_alloc if KissFFT cannot allocate it.
  kiss_fftr_cfg get(std::size_t size, bool inverse) {
    for (const Plan& p : plans_) {
      if (p.size == size && p.inverse == inverse) return p.cfg;
    }
    plans_.reserve(plans_.size() + 1);  // before the plan, so a failure here leaks nothing
    kiss_fftr_cfg cfg = kiss_fftr_alloc(static_cast<int>(size), inverse ? 1 : 0, nullptr, nullptr);
    if (cfg == nullptr) throw std::bad_alloc();
    plans_.push_back({size, inverse, cfg});
    return cfg;
  }

 private:
  struct Plan {
    std::size_t size;
    bool inverse;
    kiss_fftr_cfg cfg;
  };
  std::vector<Plan> plans_;  // a handful: one per size and direction in use
};

ThreadPlans& thread_plans() {
  thread_local ThreadPlans plans;
  return plans;
}

}  // namespace

RealFft::RealFft(std::size_t size, Directions directions) : size_(size), directions_(directions) {
  if (size == 0 || size % 2 != 0) {
    throw std::invalid_argument("RealFft: size must be even and > 0, got " + std::to_string(size));
  }
  try {
    if (directions != Directions::inverse_only) thread_plans().get(size, false);
    if (directions != Directions::forward_only) thread_plans().get(size, true);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("RealFft: KissFFT could not allocate a plan of size " + std::to_string(size));
  }
}

// noexcept: a plan that cannot be allocated on a new thread ends the process, as
// any allocation failure in the analysis path would.
void RealFft::forward(std::span<const float> in, std::span<std::complex<float>> out) const noexcept {
  assert(directions_ != Directions::inverse_only);
  assert(in.size() == size_ && out.size() == bins());
  kiss_fftr(thread_plans().get(size_, false), in.data(), reinterpret_cast<kiss_fft_cpx*>(out.data()));
}

void RealFft::inverse(std::span<const std::complex<float>> in, std::span<float> out) const noexcept {
  assert(directions_ != Directions::forward_only);
  assert(in.size() == bins() && out.size() == size_);
  kiss_fftri(thread_plans().get(size_, true), reinterpret_cast<const kiss_fft_cpx*>(in.data()), out.data());
}

}  // namespace tw::dsp
