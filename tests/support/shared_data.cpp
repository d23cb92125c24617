#include "support/shared_data.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "build_paths.h"

namespace tw::test {

std::string shared_data_location() {
  const char* override_dir = std::getenv("TW_SHARED_DATA");
  return override_dir != nullptr ? override_dir : tw::build::default_shared_data_dir();
}

std::string shared_data_dir() {
  const std::string dir = shared_data_location();
  if (!std::filesystem::is_directory(dir)) {
    FAIL("shared test data not found at '" << dir
                                           << "': check out ../shared next to the project or set TW_SHARED_DATA");
  }
  return dir;
}

std::string shared_data_path(const std::string& relative) {
  const std::string path = shared_data_dir() + "/" + relative;
  if (!std::filesystem::exists(path)) FAIL("shared test data missing: " << path);
  return path;
}

std::string scratch_dir() {
  static const std::string dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("tonewatch-tests-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

std::string fresh_dir(const std::string& name) {
  const auto path = std::filesystem::path(scratch_dir()) / name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

std::string artifact_dir() {
  static const std::string dir = [] {
    const auto path = std::filesystem::path(tw::build::binary_dir()) / "test-artifacts";
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

}  // namespace tw::test
