// Resume: a call counts as done only when its complete outputs were made from
// the same input by the same tonewatch, model and settings.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

#include "batch/resume.h"
#include "report/call_outputs.h"
#include "report/call_summary.h"
#include "support/shared_data.h"
#include "support/test_wav.h"

namespace {

namespace fs = std::filesystem;
using tw::batch::check_outputs;
using tw::batch::RunFingerprint;

struct Fixture {
  std::string dir;
  std::string input;
  tw::report::CallOutputPaths paths;
  RunFingerprint run;

  explicit Fixture(const std::string& name) {
    dir = tw::test::scratch_dir() + "/resume-" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    input = dir + "/call.wav";
    tw::test::write_bytes(input, std::string(1000, 'x'));
    paths = tw::report::output_paths(dir + "/out", "call", tw::report::TableFormat::csv);
    run.tonewatch_version = "1.2.3";
    run.tonewatch_sources = "0123456789abcdef";
    run.model = "models/m.json";
    run.model_text = R"({"weights": [1, 2]})";
    run.settings = {{"detection", {{"turn_taking", {{"dead_air_s", 5.0}}}}}, {"channels", "caller,agent"}};
  }

  // Writes a complete set of outputs whose summary says it was made from `input`
  // with `made_by`.
  void write_outputs(const RunFingerprint& made_by) {
    fs::create_directories(dir + "/out");
    nlohmann::json summary;
    summary["call"] = "call";
    summary["input"] = tw::batch::identity_json(tw::batch::identify_input(input));
    summary["analysis"] = made_by.summary_json();
    std::ofstream(paths.summary) << summary.dump(2);
    for (const std::string* p : {&paths.windows, &paths.events, &paths.report_json, &paths.report_html}) {
      std::ofstream(*p) << "x";
    }
  }
};

}  // namespace

TEST_CASE("complete outputs of the same input version model and settings are done", "[batch][resume]") {
  Fixture f("done");
  CHECK_FALSE(check_outputs(f.paths, false, tw::batch::identify_input(f.input), f.run).done);  // nothing yet
  CHECK(check_outputs(f.paths, false, tw::batch::identify_input(f.input), f.run).reason.empty());
  f.write_outputs(f.run);
  const auto check = check_outputs(f.paths, false, tw::batch::identify_input(f.input), f.run);
  INFO(check.reason);
  CHECK(check.done);
  CHECK(check.summary["call"] == "call");
  // Asking for the frame table too: it is missing, so the call is not done.
  CHECK_FALSE(check_outputs(f.paths, true, tw::batch::identify_input(f.input), f.run).done);
}

TEST_CASE("every difference makes a call not done with its reason", "[batch][resume]") {
  struct Case {
    const char* what;
    std::function<void(Fixture&)> change;
    const char* reason;
  };
  const Case cases[] = {
      {"a corrupt summary", [](Fixture& f) { std::ofstream(f.paths.summary) << "{\"call\": \"call\", \"inp"; },
       "not valid JSON"},
      {"an empty summary", [](Fixture& f) { std::ofstream(f.paths.summary, std::ios::trunc).flush(); }, "not valid JSON"},
      {"another version", [](Fixture& f) { f.run.tonewatch_version = "1.2.4"; }, "tonewatch 1.2.3"},
      // The same version built from other sources (a build between two releases).
      {"another build", [](Fixture& f) { f.run.tonewatch_sources = "00112233aabbccdd"; },
       "another build of tonewatch 1.2.3 (sources 0123456789abcdef, these 00112233aabbccdd)"},
      {"another model", [](Fixture& f) { f.run.model_text = R"({"weights": [1, 3]})"; }, "another model"},
      {"other settings",
       [](Fixture& f) { f.run.settings["detection"]["turn_taking"]["dead_air_s"] = 6.0; }, "other settings"},
      {"a changed input (size)", [](Fixture& f) { tw::test::write_bytes(f.input, std::string(1001, 'x')); },
       "input changed"},
      {"a changed input (time)",
       [](Fixture& f) {
         fs::last_write_time(f.input, fs::last_write_time(f.input) + std::chrono::milliseconds(1));
       },
       "input changed"},
      {"a missing output", [](Fixture& f) { fs::remove(f.paths.report_html); }, "missing"},
  };
  for (const Case& c : cases) {
    Fixture f(std::string("diff-") + std::to_string(&c - cases));
    f.write_outputs(f.run);
    c.change(f);
    const auto check = check_outputs(f.paths, false, tw::batch::identify_input(f.input), f.run);
    INFO(c.what << ": " << check.reason);
    CHECK_FALSE(check.done);
    CHECK_FALSE(check.other_input);
    CHECK(check.reason.find(c.reason) != std::string::npos);
  }
}

TEST_CASE("outputs of another input are never taken as done and are marked as another's", "[batch][resume]") {
  Fixture f("other");
  f.write_outputs(f.run);
  const std::string other = f.dir + "/other.wav";
  tw::test::write_bytes(other, std::string(1000, 'x'));
  const auto check = check_outputs(f.paths, false, tw::batch::identify_input(other), f.run);
  CHECK_FALSE(check.done);
  CHECK(check.other_input);
  CHECK(check.reason.find(f.input) != std::string::npos);
}

TEST_CASE("a non-UTF-8 input path is recognised again from its summary", "[batch][resume]") {
  Fixture f("bytes");
  const std::string odd = f.dir + "/caf\xE9\xFF.wav";
  tw::test::write_bytes(odd, std::string(500, 'y'));
  f.input = odd;
  f.write_outputs(f.run);
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(f.paths.summary));
  CHECK(summary["input"]["path"].get<std::string>().find("caf\\xE9\\xFF.wav") != std::string::npos);
  CHECK(tw::report::input_path_from_json(summary["input"]) == tw::batch::identify_input(odd).path);
  CHECK(check_outputs(f.paths, false, tw::batch::identify_input(odd), f.run).done);
}
