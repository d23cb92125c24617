#pragma once
// FFT plans that belong to the thread running the transforms (see RealFft).

#include <cstddef>
#include <new>
#include <vector>

namespace tw::dsp {

/// This thread's plans of one FFT build, by size and direction, made on first use and
/// freed when the thread ends. A KissFFT plan holds its scratch buffer as well as its
/// twiddles, so it cannot be shared between threads; nothing ties it to a stream, so
/// every stream a thread analyses shares the thread's warm plan. `Alloc` returns
/// nullptr when it cannot make a plan.
template <class Plan, Plan* (*Alloc)(std::size_t size, bool inverse), void (*Free)(Plan*)>
class ThreadPlans {
 public:
  /// The calling thread's plans.
  static ThreadPlans& mine() {
    thread_local ThreadPlans plans;
    return plans;
  }

  ThreadPlans(const ThreadPlans&) = delete;
  ThreadPlans& operator=(const ThreadPlans&) = delete;
  ~ThreadPlans() {
    for (const Entry& e : plans_) Free(e.plan);
  }

  /// The plan, made on first use. Throws std::bad_alloc if it cannot be made.
  Plan* get(std::size_t size, bool inverse) {
    for (const Entry& e : plans_) {
      if (e.size == size && e.inverse == inverse) return e.plan;
    }
    plans_.reserve(plans_.size() + 1);  // before the plan, so a failure here leaks nothing
    Plan* plan = Alloc(size, inverse);
    if (plan == nullptr) throw std::bad_alloc();
    plans_.push_back({size, inverse, plan});
    return plan;
  }

 private:
  ThreadPlans() = default;
  struct Entry {
    std::size_t size;
    bool inverse;
    Plan* plan;
  };
  std::vector<Entry> plans_;  // a handful: one per size and direction in use
};

}  // namespace tw::dsp
