#pragma once
// The unit the benchmarks here report the machine's speed in: the CPU time of one
// KissFFT real transform, called again and again on the same data (hot caches).
// This guest's speed has differed by about 2x between days, so figures from
// different runs are compared through it (tw_bench's "KissFFT reference",
// serve_load's fft_ns).

#include <kissfft/kiss_fftr.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_clock.h"

namespace tw::bench {

/// One transform of `size` points, forward (kiss_fftr) or inverse (kiss_fftri),
/// on noise (the inverse on the noise's spectrum).
class KissFftReference {
 public:
  KissFftReference(int size, bool inverse)
      : inverse_(inverse),
        cfg_(kiss_fftr_alloc(size, inverse ? 1 : 0, nullptr, nullptr)),
        time_domain_(static_cast<std::size_t>(size)),
        spectrum_(static_cast<std::size_t>(size / 2 + 1)) {
    if (cfg_ == nullptr) throw std::runtime_error("kiss_fftr_alloc failed for " + std::to_string(size) + " points");
    std::mt19937 random(1234);
    std::normal_distribution<float> noise(0.0f, 0.1f);
    for (float& v : time_domain_) v = noise(random);
    kiss_fftr_cfg forward = kiss_fftr_alloc(size, 0, nullptr, nullptr);  // a real spectrum for the inverse to read
    if (forward == nullptr) {
      kiss_fftr_free(cfg_);
      throw std::runtime_error("kiss_fftr_alloc failed for " + std::to_string(size) + " points");
    }
    kiss_fftr(forward, time_domain_.data(), spectrum_.data());
    kiss_fftr_free(forward);
  }
  ~KissFftReference() { kiss_fftr_free(cfg_); }
  KissFftReference(const KissFftReference&) = delete;
  KissFftReference& operator=(const KissFftReference&) = delete;

  /// This thread's CPU ns per transform over one round of `calls` transforms.
  double ns_per_call(int calls) {
    const double start = thread_cpu_s();
    for (int c = 0; c < calls; ++c) {
      if (inverse_) {
        kiss_fftri(cfg_, spectrum_.data(), time_domain_.data());
        keep(time_domain_[1]);
      } else {
        kiss_fftr(cfg_, time_domain_.data(), spectrum_.data());
        keep(spectrum_[1]);
      }
    }
    return (thread_cpu_s() - start) * 1e9 / calls;
  }

 private:
  template <class T>
  static void keep(const T& value) {  // the result is "used": the loop is not optimised away
    asm volatile("" : : "g"(&value) : "memory");
  }

  bool inverse_;
  kiss_fftr_cfg cfg_;
  std::vector<float> time_domain_;
  std::vector<kiss_fft_cpx> spectrum_;
};

}  // namespace tw::bench
