#pragma once
// How tw_bench times a piece of work: one run's wall and thread CPU time, and the
// median [min-max] over runs. Apart from tw_bench.cpp because the pipeline runs
// (pipeline_runs.cpp), the stages in isolation (stage_timings.cpp) and the report
// all time and summarise the same way.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench_clock.h"

namespace tw::bench {

using Clock = std::chrono::steady_clock;

/// Keeps a value observable so the compiler cannot drop the work that made it.
template <class T>
inline void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

inline long involuntary_switches() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nivcsw;
}

struct Timing {
  double wall_s = 0.0;
  double cpu_s = 0.0;                ///< this thread's CPU time
  long involuntary_switches = 0;     ///< times the scheduler took the core away
};

template <class Work>
Timing time_once(Work&& work) {
  const long switches = involuntary_switches();
  const double cpu = thread_cpu_s();
  const auto wall = Clock::now();
  work();
  const auto wall_end = Clock::now();
  return {std::chrono::duration<double>(wall_end - wall).count(), thread_cpu_s() - cpu,
          involuntary_switches() - switches};
}

struct Spread {
  double median = 0.0, min = 0.0, max = 0.0;
};

inline Spread spread_of(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  return {median, values.front(), values.back()};
}

/// x = numerator / time: the median maps to the median, the longest time to the minimum.
inline Spread rate_of(double numerator, const Spread& time) {
  return {numerator / time.median, numerator / time.max, numerator / time.min};
}

inline nlohmann::json to_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

}  // namespace tw::bench
