#pragma once
// What tw_bench's command line sets and every part of it reads: runs, warm-up, the
// example, where the long call goes, and whether progress is printed. A header of its
// own because the pipeline runs and the stage timings read it as well as the commands.

#include <filesystem>
#include <iostream>
#include <string>

#include "build_paths.h"

namespace tw::bench {

struct Settings {
  int runs = 5;
  int warmup = 1;
  double minutes = 60.0;
  int streams = 32;
  std::string example = tw::build::source_dir() + "/examples/example_call.wav";
  std::string json_path;
  std::string tmp_dir = std::filesystem::temp_directory_path().string();
  bool keep_files = false;
};

/// Progress goes to stderr unless --quiet.
inline bool g_quiet = false;
inline std::ostream& progress() {
  static std::ostream discard(nullptr);
  return g_quiet ? discard : std::cerr;
}

}  // namespace tw::bench
