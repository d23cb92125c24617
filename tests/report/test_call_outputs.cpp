// A call's files land whole or not at all: when one cannot be written, the ones
// written before it go again and no summary marks the call done, whether the
// tables were streamed during the call (CallOutputs) or kept in memory
// (write_call_outputs, the Python API's Call.write).

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "report/call_outputs.h"

namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tw-call-outputs-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

const nlohmann::json kSummary = {{"call", "c1"}, {"duration_s", 1.0}};

}  // namespace

TEST_CASE("call files land whole or not at all / a report that cannot be written takes the tables with it",
          "[report][outputs]") {
  tw::pipeline::CallTimeline timeline;
  timeline.call_id = "c1";
  SECTION("streamed tables") {
    const fs::path dir = fresh("streamed");
    tw::report::OutputOptions options;
    options.dir = dir.string();
    options.frames = true;
    tw::report::CallOutputs outputs(options, "c1");
    fs::create_directory(dir / "c1.report.html");  // in the way: the HTML report cannot land
    CHECK_THROWS(outputs.commit(timeline, kSummary));
    CHECK(names_in(dir) == std::set<std::string>{"c1.report.html"});
  }
  SECTION("tables kept in memory") {
    const fs::path dir = fresh("memory");
    const tw::report::FinishedTables tables{"call,speaker\n", "", std::string("time_s\n")};
    // In the way: a folder, not empty (an old summary is removed first, and an empty
    // folder would go with it), so the summary, the last file, cannot land.
    fs::create_directories(dir / "c1.summary.json" / "x");
    CHECK_THROWS(tw::report::write_call_outputs(dir.string(), "c1", tables, timeline, kSummary));
    CHECK(names_in(dir) == std::set<std::string>{"c1.summary.json"});
    fs::remove_all(dir / "c1.summary.json");
    tw::report::write_call_outputs(dir.string(), "c1", tables, timeline, kSummary);
    CHECK(names_in(dir) == std::set<std::string>{"c1.windows.csv", "c1.events.jsonl", "c1.frames.csv",
                                                 "c1.report.json", "c1.report.html", "c1.summary.json"});
  }
}
