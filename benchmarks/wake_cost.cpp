// wake_cost: the CPU one sleep and wake-up of a thread costs on this machine. A thread
// that waits on a timer (serve's workers poll every 5 ms) pays it at every wake; on a
// virtual machine, where arming the timer and idling the vCPU trap to the hypervisor,
// it can be tens of microseconds (docs/performance.md, "What is left of the live
// ratios"). The thread's CPU clock is the scheduler's own count of its run time on
// Linux, not a sampled one.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

#include "bench_clock.h"
#include "bench_machine.h"

int main(int argc, char** argv) {
  CLI::App app{"wake_cost: CPU time one timed sleep and wake-up of a thread costs, from the thread's CPU clock"};
  int period_us = 5000;
  int count = 1000;
  app.add_option("--period-us", period_us, "Length of each sleep (microseconds)")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--count", count, "Sleeps to make")->capture_default_str()->check(CLI::Range(10, 10000000));
  CLI11_PARSE(app, argc, argv);

  const double cpu_before_s = tw::bench::thread_cpu_s();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) std::this_thread::sleep_for(std::chrono::microseconds(period_us));
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu_s = tw::bench::thread_cpu_s() - cpu_before_s;

  const tw::bench::Machine m = tw::bench::describe_machine();
  std::printf("machine: %s, %u cores; kernel %s; load average %s\n", m.cpu_model.c_str(), m.cores, m.kernel.c_str(),
              tw::bench::load_average().c_str());
  std::printf("%d sleeps of %d us in %.2f s: %.1f us of CPU per sleep and wake-up\n", count, period_us, wall_s,
              cpu_s * 1e6 / count);
  return 0;
}
