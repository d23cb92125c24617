#include "build_paths.h"

namespace tw::build {

const std::string& source_dir() {
  static const std::string dir = TW_SOURCE_DIR;
  return dir;
}

const std::string& binary_dir() {
  static const std::string dir = TW_BINARY_DIR;
  return dir;
}

const std::string& default_shared_data_dir() {
  static const std::string dir = TW_SHARED_DATA_DIR;
  return dir;
}

}  // namespace tw::build
