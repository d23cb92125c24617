// The tonewatch CLI end to end: the bundled example call, reruns, bad input.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/text_file.h"
#include "build_paths.h"

namespace {

std::string example_call() { return tw::build::source_dir() + "/examples/example_call.wav"; }

nlohmann::json example_truth() {
  return nlohmann::json::parse(tw::test::read_text(tw::build::source_dir() + "/examples/example_call.truth.json"));
}

// Speech time per role from the truth's utterance intervals.
double truth_speech_s(const nlohmann::json& truth, const std::string& role) {
  double total = 0.0;
  for (const auto& u : truth["utterances"]) {
    if (u["role"] == role) total += u["end_s"].get<double>() - u["start_s"].get<double>();
  }
  return total;
}

}  // namespace

TEST_CASE("analyze on the bundled example call writes a readable summary and its files", "[cli]") {
  const std::string out = tw::test::scratch_dir() + "/cli-example";
  std::filesystem::remove_all(out);
  const auto result = tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", example_call(), "-o", out, "--frames"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("example_call") != std::string::npos);
  CHECK(result.out.find("caller") != std::string::npos);
  CHECK(result.out.find("agent") != std::string::npos);

  const nlohmann::json summary = nlohmann::json::parse(tw::test::read_text(out + "/example_call.summary.json"));
  const nlohmann::json truth = example_truth();
  CHECK(summary["duration_s"].get<double>() == Approx(truth["duration_s"].get<double>()).margin(0.05));
  REQUIRE(summary["speakers"].size() == 2);
  for (const auto& speaker : summary["speakers"]) {
    const std::string role = speaker["role"];
    // Channel layout default: left = caller, right = agent.
    CHECK(speaker["channel"].get<int>() == (role == "caller" ? 0 : 1));
    // Voice activity finds the scripted speech time within 20 % (VAD hangover
    // adds a little, short pauses inside utterances subtract a little).
    const double expected = truth_speech_s(truth, role);
    INFO(role << ": speech " << speaker["speech_time_s"] << " s, truth " << expected << " s");
    CHECK(speaker["speech_time_s"].get<double>() == Approx(expected).epsilon(0.2));
    CHECK(speaker["syllables"].get<int>() > 0);
    CHECK(speaker["f0_median_hz"].get<double>() > 60.0);
    CHECK(speaker["f0_median_hz"].get<double>() < 500.0);
  }
  CHECK(summary.contains("detection"));

  // Window table: a header and rows for both speakers, one per second each.
  const std::string windows = tw::test::read_text(out + "/example_call.windows.csv");
  CHECK(windows.rfind("call,speaker,end_time_s", 0) == 0);
  CHECK(windows.find(",caller,") != std::string::npos);
  CHECK(windows.find(",agent,") != std::string::npos);
  // Per-hop table with the documented columns, two rows per 10 ms.
  std::ifstream frames(out + "/example_call.frames.csv");
  std::string header;
  std::getline(frames, header);
  for (const char* column : {"time_s", "speaker", "f0_hz", "voicing", "level_dbfs", "loudness_db", "vad"}) {
    CHECK(header.find(column) != std::string::npos);
  }
  std::size_t rows = 0;
  for (std::string line; std::getline(frames, line);) ++rows;
  CHECK(static_cast<double>(rows) == Approx(2 * 100 * truth["duration_s"].get<double>()).margin(10));
  // The supervisor's report: a self-contained page with every chart, and its data.
  const std::string html = tw::test::read_text(out + "/example_call.report.html");
  for (const char* id : {"chart-agitation", "chart-loudness", "chart-f0", "chart-rate", "chart-turns"}) {
    CHECK(html.find(id) != std::string::npos);
  }
  const nlohmann::json report = nlohmann::json::parse(tw::test::read_text(out + "/example_call.report.json"));
  CHECK(report.contains("events"));
  // The example's story: the caller escalates (and the call calms down again).
  CHECK(summary["detection"]["escalations"].get<int>() >= 1);
  CHECK(summary["detection"]["final_stage"] == "calm");
  // Every event line parses.
  std::ifstream events(out + "/example_call.events.jsonl");
  for (std::string line; std::getline(events, line);) CHECK_NOTHROW(nlohmann::json::parse(line));
  // No temporaries left behind.
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    CHECK(entry.path().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE("a rerun skips finished calls unless --force", "[cli]") {
  const std::string out = tw::test::scratch_dir() + "/cli-rerun";
  std::filesystem::remove_all(out);
  REQUIRE(tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", example_call(), "-o", out}).exit_code == 0);
  const auto summary = out + "/example_call.summary.json";
  const auto first_write = std::filesystem::last_write_time(summary);
  const auto again = tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", example_call(), "-o", out});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("skipped") != std::string::npos);
  CHECK(std::filesystem::last_write_time(summary) == first_write);
  const auto forced = tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", example_call(), "-o", out, "--force"});
  CHECK(forced.exit_code == 0);
  CHECK(forced.out.find("analysed") != std::string::npos);
}

TEST_CASE("a corrupt file fails with its name and problem while the batch goes on", "[cli]") {
  const std::string dir = tw::test::scratch_dir() + "/cli-corrupt";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // A WAV cut in the middle of its data chunk, and a text file posing as audio.
  const std::string bytes = tw::test::read_text(example_call());
  std::ofstream(dir + "/cut.wav", std::ios::binary).write(bytes.data(), 20000);
  std::ofstream(dir + "/notes.wav") << "this is not audio\n";
  const auto result = tw::test::run_command(
      tw::test::tonewatch_binary(),
      {"analyze", dir + "/cut.wav", example_call(), dir + "/notes.wav", dir + "/missing.wav", "-o", dir + "/out"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("3 of 4 call(s) failed") != std::string::npos);
  CHECK(result.err.find("cut.wav: truncated") != std::string::npos);
  CHECK(result.err.find("notes.wav: not audio") != std::string::npos);
  CHECK(result.err.find("missing.wav: missing") != std::string::npos);
  CHECK(std::filesystem::exists(dir + "/out/example_call.summary.json"));
  CHECK_FALSE(std::filesystem::exists(dir + "/out/cut.summary.json"));
  CHECK(result.out.find("Outputs in " + dir + "/out/ (<call>.report.html") != std::string::npos);

  // When every input fails, nothing points at call outputs the folder does not hold.
  const auto all_failed = tw::test::run_command(
      tw::test::tonewatch_binary(), {"analyze", dir + "/notes.wav", dir + "/missing.wav", "-o", dir + "/out-none"});
  INFO(all_failed.out << all_failed.err);
  CHECK(all_failed.exit_code == 1);
  CHECK(all_failed.out.find("Outputs in") == std::string::npos);
  CHECK(all_failed.out.find("No call outputs written; the run is recorded in " + dir + "/out-none/tonewatch-manifest.jsonl") !=
        std::string::npos);
}

TEST_CASE("every command has --help and bad usage exits non-zero", "[cli]") {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"}, {"analyze", "--help"}, {"defaults", "--help"}}) {
    const auto result = tw::test::run_command(tw::test::tonewatch_binary(), args);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("Usage") != std::string::npos);
  }
  CHECK(tw::test::run_command(tw::test::tonewatch_binary(), {}).exit_code != 0);
  CHECK(tw::test::run_command(tw::test::tonewatch_binary(), {"analyze"}).exit_code != 0);
  CHECK(tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", "x.wav", "--format", "xml"}).exit_code != 0);
  const auto bad_layout = tw::test::run_command(tw::test::tonewatch_binary(), {"analyze", example_call(), "--channels", "caller,caller"});
  CHECK(bad_layout.exit_code != 0);
  CHECK(bad_layout.err.find("channel layout") != std::string::npos);
}

TEST_CASE("a config file with an unknown key is refused / naming it", "[cli]") {
  const std::string dir = tw::test::scratch_dir() + "/cli-config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/typo.json") << R"({"turn_taking": {"dead_air_seconds": 3}})";
  const auto result = tw::test::run_command(tw::test::tonewatch_binary(),
                                            {"analyze", example_call(), "-o", dir + "/out", "--config", dir + "/typo.json"});
  CHECK(result.exit_code != 0);
  CHECK(result.err.find("turn_taking.dead_air_seconds") != std::string::npos);
  // The defaults the CLI prints load back unchanged.
  const auto defaults = tw::test::run_command(tw::test::tonewatch_binary(), {"defaults"});
  REQUIRE(defaults.exit_code == 0);
  std::ofstream(dir + "/defaults.json") << defaults.out;
  const auto with_defaults = tw::test::run_command(
      tw::test::tonewatch_binary(), {"analyze", example_call(), "-o", dir + "/out2", "--config", dir + "/defaults.json"});
  CHECK(with_defaults.exit_code == 0);
}
