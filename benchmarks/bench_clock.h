#pragma once
// What every benchmark here reads from the system: the calling thread's CPU clock
// and a field of /proc/cpuinfo (to name the machine a figure was measured on).

#include <time.h>

#include <fstream>
#include <string>

namespace tw::bench {

/// CPU seconds the calling thread has used (CLOCK_THREAD_CPUTIME_ID).
inline double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// The first /proc/cpuinfo line starting with `key`, after its colon; "unknown" if none.
inline std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

}  // namespace tw::bench
