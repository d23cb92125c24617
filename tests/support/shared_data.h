#pragma once
// Access to ../shared/data for tests tagged [data].

#include <string>

namespace tw::test {

/// Root of the shared labelled data (TW_SHARED_DATA_DIR, overridable with the
/// environment variable TW_SHARED_DATA). Fails the running test with a clear
/// message when the folder is missing: a data test never passes silently.
std::string shared_data_dir();

/// shared_data_dir() + "/" + relative, failing the test if that path is missing.
std::string shared_data_path(const std::string& relative);

/// A scratch directory for this test run (created on first use).
std::string scratch_dir();

/// Where tests leave files for people to look at (screenshots): <build>/test-artifacts,
/// created on first use, kept after the run (CI can upload it).
std::string artifact_dir();

}  // namespace tw::test
