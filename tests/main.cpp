// The test runner: Catch2's, with one rule for the shared labelled data.
//
// Tests tagged [data] read ../shared/data, the project's labelled speech, which a
// fresh clone does not have (see ../shared/README.md). On such a clone a run that
// selects only [data] tests prints one SKIPPED line saying what is missing and where
// it normally is, runs nothing and exits 0; ctest (SKIP_REGULAR_EXPRESSION in
// tests/CMakeLists.txt) reports those tests as skipped, never as passed. A run of the
// whole binary leaves them out the same way. TW_REQUIRE_SHARED_DATA=1 (as .ci/run
// sets) turns the skip off: the tests then fail on the missing folder, as they must
// where the data is supposed to be. A test is only ever skipped before it starts, so
// a skip cannot hide a test that ran and failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "support/shared_data.h"

namespace {

bool has_data_tag(const Catch::TestCase& test) {
  return std::find(test.lcaseTags.begin(), test.lcaseTags.end(), "data") != test.lcaseTags.end();
}

bool shared_data_required() {
  const char* required = std::getenv("TW_REQUIRE_SHARED_DATA");
  return required != nullptr && std::string(required) != "" && std::string(required) != "0";
}

}  // namespace

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int status = session.applyCommandLine(argc, argv); status != 0) return status;
  const Catch::ConfigData& data = session.configData();
  if (data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters || data.showHelp ||
      shared_data_required() || std::filesystem::is_directory(tw::test::shared_data_location())) {
    return session.run();
  }
  const std::string skipped = "SKIPPED: shared test data not found at '" + tw::test::shared_data_location() +
                              "' (the labelled speech of ../shared/data next to the clone; set TW_SHARED_DATA to its "
                              "folder to run the [data] tests)";
  if (data.testsOrTags.empty()) {
    // The whole binary: everything but the [data] tests (nor the hidden ones, as before).
    Catch::ConfigData without_data = data;
    without_data.testsOrTags = {"~[data]~[.]"};
    session.useConfigData(without_data);
    std::cout << skipped << ": the [data] tests are left out\n";
    return session.run();
  }
  const auto selected = Catch::filterTests(Catch::getAllTestCasesSorted(session.config()), session.config().testSpec(),
                                           session.config());
  if (!selected.empty() && std::all_of(selected.begin(), selected.end(), has_data_tag)) {
    std::cout << skipped << "\n";
    return 0;
  }
  return session.run();
}
