#pragma once
// Where this build came from, for the tests, tools and benchmarks that read the
// source tree (examples, models, assets) or the shared test data. One function per
// path, defined in build_paths.cpp: the only file compiled with these absolute paths,
// so that every other file's compile command is the same in any clone (ccache hits
// across folders; see the top-level CMakeLists.txt).

#include <string>

namespace tw::build {

/// The source tree's root (the folder holding CMakeLists.txt, examples/, models/).
const std::string& source_dir();

/// The build folder's root (tonewatch, tools/, test artifacts).
const std::string& binary_dir();

/// The configured default of the shared labelled data (../shared/data next to the
/// source tree, or -DTW_SHARED_DATA_DIR); callers let TW_SHARED_DATA override it.
const std::string& default_shared_data_dir();

}  // namespace tw::build
