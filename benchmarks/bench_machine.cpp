// The machine description of tw_bench's report and JSON (bench_machine.h): read from
// /proc, uname, git and the build's flags. Kept apart from tw_bench.cpp so that the
// benchmark file holds what is measured, not how the machine is named.

#include "bench_machine.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>

#include "bench_clock.h"
#include "build_paths.h"
#include "dsp/real_fft4.h"

namespace tw::bench {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string load_average() {
  std::istringstream in(read_first_line("/proc/loadavg"));
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

long vm_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

Machine describe_machine() {
  Machine m;
  m.cpu_model = cpuinfo_field("model name");
  m.cpu_mhz = cpuinfo_field("cpu MHz");
  m.cache = cpuinfo_field("cache size");
  const std::string flags = " " + cpuinfo_field("flags") + " ";
  for (const char* isa : {"sse4_2", "avx", "avx2", "fma", "avx512f"}) {
    if (flags.find(std::string(" ") + isa + " ") != std::string::npos) m.isa += (m.isa.empty() ? "" : " ") + std::string(isa);
  }
  m.cores = std::thread::hardware_concurrency();
  utsname names{};
  if (uname(&names) == 0) m.kernel = std::string(names.sysname) + " " + names.release + " " + names.machine;
#if defined(__clang__)
  m.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  m.compiler = "g++ " __VERSION__;
#else
  m.compiler = "unknown";
#endif
  m.flags = TW_BENCH_CXX_FLAGS;
  m.build_type = TW_BENCH_BUILD_TYPE;
  // The reference rows time Debian's scalar library; the pipeline's spectra go through
  // dsp::RealFft4, KissFFT's SIMD mode when it is compiled in.
  m.kissfft = std::string("KissFFT ") + TW_KISSFFT_VERSION + ": references scalar (Debian's shared library); pipeline " +
              (dsp::RealFft4::simd() ? "USE_SIMD, four transforms per call (built from Debian's source)"
                                     : "scalar, four calls per four transforms (SIMD mode not built)");
  const std::string git = "git -C '" + tw::build::source_dir() + "' ";
  m.commit = command_output(git + "rev-parse --short=12 HEAD 2>/dev/null");
  const std::string changed = command_output(git + "status --porcelain -- src benchmarks 2>/dev/null | wc -l");
  if (const char* named = std::getenv("TW_BENCH_COMMIT"); named != nullptr && *named != '\0') {
    m.commit = named;  // a source tree exported without .git says which commit it is
  } else if (m.commit.empty()) {
    m.commit = "unknown";
  } else if (!changed.empty() && changed != "0") {
    m.commit += " + " + changed + " uncommitted paths under src/ and benchmarks/";
  }
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  m.date_utc = date;
  return m;
}

nlohmann::json to_json(const Machine& m) {
  return {{"cpu_model", m.cpu_model}, {"cpu_mhz", m.cpu_mhz}, {"cache", m.cache},   {"isa", m.isa},
          {"cores", m.cores},         {"kernel", m.kernel},   {"compiler", m.compiler}, {"flags", m.flags},
          {"build_type", m.build_type}, {"kissfft", m.kissfft}, {"commit", m.commit},   {"date_utc", m.date_utc}};
}

void print_machine(std::ostream& out, const Machine& m, const std::string& load) {
  out << "machine   " << m.cpu_model << ", " << m.cores << " logical cores, " << m.cpu_mhz << " MHz, cache " << m.cache
      << ", ISA: " << m.isa << "\n"
      << "kernel    " << m.kernel << "; load average at start " << load << "\n"
      << "compiler  " << m.compiler << ", " << m.build_type << ": " << m.flags << "\n"
      << "fft       " << m.kissfft << "\n"
      << "commit    " << m.commit << "\n"
      << "date      " << m.date_utc << "\n";
}

}  // namespace tw::bench
