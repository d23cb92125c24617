#pragma once
// The machine a tw_bench figure was measured on (CPU, kernel, compiler and flags, KissFFT
// build, commit, date) and what it reads from the system while running (load average,
// resident memory). Apart from the benchmark itself: it describes the run, it times nothing.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace tw::bench {

struct Machine {
  std::string cpu_model, cpu_mhz, cache, isa, kernel, compiler, flags, build_type, kissfft, commit, date_utc;
  unsigned cores = 0;
};

Machine describe_machine();
/// The 1, 5 and 15 minute load averages as "a b c".
std::string load_average();
/// The process's resident memory now (VmRSS), KiB; -1 if unknown.
long vm_rss_kib();
/// The process's peak resident memory so far (getrusage ru_maxrss), KiB.
long peak_rss_kib();

nlohmann::json to_json(const Machine& m);
void print_machine(std::ostream& out, const Machine& m, const std::string& load);

}  // namespace tw::bench
