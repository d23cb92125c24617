#pragma once
// Access to ../shared/data for tests tagged [data].

#include <string>

namespace tw::test {

/// Where the shared labelled data is looked for: $TW_SHARED_DATA, else the configured
/// default (../shared/data next to the source tree). Whether it exists is not checked.
std::string shared_data_location();

/// Root of the shared labelled data (shared_data_location()). Fails the running test
/// with a clear message when the folder is missing: a data test never passes silently
/// (tests/main.cpp skips [data] tests before they start on a clone without the data).
std::string shared_data_dir();

/// shared_data_dir() + "/" + relative, failing the test if that path is missing.
std::string shared_data_path(const std::string& relative);

/// A scratch directory for this test run (created on first use).
std::string scratch_dir();

/// scratch_dir() + "/" + name, emptied and created: one test's own output folder.
std::string fresh_dir(const std::string& name);

/// Where tests leave files for people to look at (screenshots): <build>/test-artifacts,
/// created on first use, kept after the run (CI can upload it).
std::string artifact_dir();

}  // namespace tw::test
