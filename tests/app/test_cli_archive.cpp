// Batch runs over archive-like inputs, end to end: every call analysed once
// under its own name, reruns that skip exactly what is done, any path bytes.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/path_text.h"
#include "support/cli_fixtures.h"
#include "support/run_command.h"
#include "support/shared_data.h"

namespace {

namespace fs = std::filesystem;
using tw::test::read_json;
using tw::test::run_command;
using tw::test::tonewatch_binary;

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> manifest_records(const std::string& out) {
  std::vector<std::string> records;
  std::ifstream in(out + "/tonewatch-manifest.jsonl");
  for (std::string line; std::getline(in, line);) records.push_back(line);
  return records;
}

}  // namespace

TEST_CASE("colliding file names are separate calls with their own figures", "[cli][identity]") {
  // The issue's case: a/call.wav, b/call.wav and c/call-2.wav, of 4, 6 and 8 s.
  const std::string dir = fresh_dir("archive-collide");
  const std::map<std::string, double> inputs = {{"a/call.wav", 4.0}, {"b/call.wav", 6.0}, {"c/call-2.wav", 8.0}};
  const std::map<std::string, std::string> expected_ids = {
      {"a/call.wav", "a~call"}, {"b/call.wav", "b~call"}, {"c/call-2.wav", "call-2"}};
  std::vector<std::string> args = {"analyze", "--jobs", "2", "-o", dir + "/out"};
  std::uint32_t seed = 1;
  for (const auto& [name, seconds] : inputs) {
    fs::create_directories(fs::path(dir + "/" + name).parent_path());
    tw::test::write_synthetic_call(dir + "/" + name, seconds, seed++);
    args.push_back(dir + "/" + name);
  }
  const auto result = run_command(tonewatch_binary(), args);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  for (const auto& [name, seconds] : inputs) {
    const std::string id = expected_ids.at(name);
    INFO(name << " as " << id);
    const nlohmann::json summary = read_json(dir + "/out/" + id + ".summary.json");
    CHECK(summary["call"] == id);
    CHECK(summary["input"]["path"] == fs::path(dir + "/" + name).lexically_normal().string());
    CHECK(summary["duration_s"].get<double>() == Approx(seconds).margin(0.02));
    CHECK(result.out.find(id + " ") != std::string::npos);
    // The window table's rows carry this call's id.
    const std::string windows = tw::test::read_text(dir + "/out/" + id + ".windows.csv");
    CHECK(windows.find("\n\"" + id + "\",caller,") != std::string::npos);
  }
  CHECK(tw::test::temporaries_in(dir + "/out").empty());
}

TEST_CASE("a rerun in another order skips every call and changes no file", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-rerun");
  std::vector<std::string> files;
  for (const char* name : {"x/call.wav", "y/call.wav", "z/other.wav"}) {
    fs::create_directories(fs::path(dir + "/" + name).parent_path());
    tw::test::write_synthetic_call(dir + "/" + name, 3.0 + static_cast<double>(files.size()), 10 + files.size());
    files.push_back(dir + "/" + name);
  }
  const std::string out = dir + "/out";
  REQUIRE(run_command(tonewatch_binary(), {"analyze", "-o", out, files[0], files[1], files[2]}).exit_code == 0);
  std::map<std::string, fs::file_time_type> written;
  for (const auto& entry : fs::directory_iterator(out)) written[entry.path().string()] = fs::last_write_time(entry);

  const auto again = run_command(tonewatch_binary(), {"analyze", "-o", out, files[2], files[0], files[1]});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("3 call(s) skipped") != std::string::npos);
  CHECK(again.out.find("analysed") == std::string::npos);
  for (const auto& [path, time] : written) {
    if (path.find("tonewatch-manifest") != std::string::npos || path.find("tonewatch.lock") != std::string::npos) continue;
    INFO(path);
    CHECK(fs::last_write_time(path) == time);
  }
}

TEST_CASE("a corrupt summary a changed input and changed settings are analysed again", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-redo");
  const std::string one = dir + "/one.wav", two = dir + "/two.wav", out = dir + "/out";
  tw::test::write_synthetic_call(one, 3.0, 1);
  tw::test::write_synthetic_call(two, 4.0, 2);
  REQUIRE(run_command(tonewatch_binary(), {"analyze", "-o", out, one, two}).exit_code == 0);

  // A summary cut short (a disk that filled up, a copy interrupted) is not done.
  const std::string text = tw::test::read_text(out + "/one.summary.json");
  std::ofstream(out + "/one.summary.json", std::ios::trunc) << text.substr(0, text.size() / 2);
  auto result = run_command(tonewatch_binary(), {"analyze", "-o", out, one, two});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("analysed again: its summary was not valid JSON") != std::string::npos);
  CHECK(result.out.find("1 call(s) skipped") != std::string::npos);
  CHECK_NOTHROW(read_json(out + "/one.summary.json"));

  // The input replaced by a longer recording: the summary follows it.
  tw::test::write_synthetic_call(two, 5.5, 3);
  result = run_command(tonewatch_binary(), {"analyze", "-o", out, one, two});
  CHECK(result.out.find("analysed again: the input changed") != std::string::npos);
  CHECK(read_json(out + "/two.summary.json")["duration_s"].get<double>() == Approx(5.5).margin(0.02));

  // Another threshold: every call is redone, and the summaries say with what.
  std::ofstream(dir + "/config.json") << R"({"turn_taking": {"dead_air_s": 3.0}})";
  result = run_command(tonewatch_binary(), {"analyze", "-o", out, "--config", dir + "/config.json", one, two});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("analysed again: it was made with other settings") != std::string::npos);
  CHECK(result.out.find("skipped") == std::string::npos);
  const auto records = manifest_records(out);
  REQUIRE(records.size() == 8);  // four runs, each started and finished
  const nlohmann::json first = nlohmann::json::parse(records[0]), last = nlohmann::json::parse(records[6]);
  CHECK(first["record"] == "run started");
  CHECK(first["settings"]["detection"]["turn_taking"]["dead_air_s"] == 5.0);
  CHECK(last["settings"]["detection"]["turn_taking"]["dead_air_s"] == 3.0);
  CHECK(first["analysis"]["settings_fnv1a64"] != last["analysis"]["settings_fnv1a64"]);
  for (const char* call : {"one", "two"}) {
    CHECK(read_json(out + "/" + call + ".summary.json")["analysis"]["settings_fnv1a64"] ==
          last["analysis"]["settings_fnv1a64"]);
  }
  const nlohmann::json finished = nlohmann::json::parse(records[7]);
  CHECK(finished["record"] == "run finished");
  CHECK(finished["counts"]["analysed"] == 2);
  CHECK(finished["calls"][0]["call"] == "one");
}

TEST_CASE("another input's outputs under the same name are kept and the new input gets its own", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-other");
  fs::create_directories(dir + "/29");
  fs::create_directories(dir + "/30");
  tw::test::write_synthetic_call(dir + "/29/call.wav", 3.0, 1);
  tw::test::write_synthetic_call(dir + "/30/call.wav", 5.0, 2);
  const std::string out = dir + "/out";
  REQUIRE(run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/29/call.wav"}).exit_code == 0);
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/30/call.wav"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(read_json(out + "/call.summary.json")["duration_s"].get<double>() == Approx(3.0).margin(0.02));
  std::string other;
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("call-", 0) == 0 && name.find(".summary.json") != std::string::npos) other = entry.path().string();
  }
  REQUIRE_FALSE(other.empty());
  CHECK(read_json(other)["duration_s"].get<double>() == Approx(5.0).margin(0.02));
  // And a rerun of the second finds it under that name.
  const auto rerun = run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/30/call.wav"});
  CHECK(rerun.out.find("1 call(s) skipped") != std::string::npos);
}

TEST_CASE("a file given twice is analysed once", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-twice");
  tw::test::write_synthetic_call(dir + "/a.wav", 3.0);
  fs::create_symlink(dir + "/a.wav", dir + "/link.wav");
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", dir + "/a.wav",
                                                       dir + "/./a.wav", dir + "/link.wav"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("duplicate") != std::string::npos);
  CHECK(result.out.find("the same file as " + dir + "/a.wav") != std::string::npos);
  std::size_t summaries = 0;
  for (const auto& entry : fs::directory_iterator(dir + "/out")) {
    summaries += entry.path().string().find(".summary.json") != std::string::npos ? 1 : 0;
  }
  CHECK(summaries == 1);
}

TEST_CASE("a path that is not UTF-8 is analysed and written losslessly", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-bytes");
  const std::string name = "caf\xE9 \xFF-anruf.wav";  // Latin-1 and a byte UTF-8 never uses
  const std::string input = dir + "/" + name;
  tw::test::write_synthetic_call(input, 3.0);
  const std::string out = dir + "/out";
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", out, input});
  INFO(tw::io::escape_invalid_utf8(result.out + result.err));
  REQUIRE(result.exit_code == 0);
  const std::string summary_path = out + "/caf___-anruf.summary.json";
  REQUIRE(fs::exists(summary_path));
  const std::string text = tw::test::read_text(summary_path);
  CHECK(tw::io::is_valid_utf8(text));
  const nlohmann::json summary = nlohmann::json::parse(text);
  CHECK(summary["input"]["path"] == tw::io::escape_invalid_utf8(input));
  CHECK(summary["input"]["path"].get<std::string>().find("caf\\xE9 \\xFF-anruf.wav") != std::string::npos);
  CHECK(tw::io::from_hex(summary["input"]["path_bytes_hex"].get<std::string>()) == input);
  // The report embeds it too, and every output and the manifest are valid UTF-8.
  for (const auto& entry : fs::directory_iterator(out)) {
    INFO(entry.path().filename().string());
    CHECK(tw::io::is_valid_utf8(tw::test::read_text(entry.path().string())));
  }
  // A rerun recognises it instead of failing again.
  const auto rerun = run_command(tonewatch_binary(), {"analyze", "-o", out, input});
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.out.find("1 call(s) skipped") != std::string::npos);
}

TEST_CASE("a 240-character file name is analysed under a shortened id", "[cli][identity]") {
  const std::string dir = fresh_dir("archive-long");
  const std::string stem(236, 'l');
  const std::string input = dir + "/" + stem + ".wav";  // 240 characters
  tw::test::write_synthetic_call(input, 3.0);
  const std::string out = dir + "/out";
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", out, input, "--frames", "--format", "jsonl"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  std::string summary;
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    CHECK(name.size() <= 255);
    if (name.find(".summary.json") != std::string::npos) summary = entry.path().string();
  }
  REQUIRE_FALSE(summary.empty());
  const nlohmann::json json = read_json(summary);
  CHECK(json["call"].get<std::string>().size() <= 160);
  CHECK(json["input"]["path"] == input);
  CHECK(run_command(tonewatch_binary(), {"analyze", "-o", out, input, "--frames", "--format", "jsonl"})
            .out.find("1 call(s) skipped") != std::string::npos);
}

TEST_CASE("a folder given as input stands for the recorded calls below it", "[cli][identity]") {
  // An archive too large for one command line is given as its folder: every call
  // file below it, at any depth, and nothing else (hidden files, other files, a
  // link back up the tree that would loop a walk that followed it).
  const std::string dir = fresh_dir("archive-folder");
  const std::map<std::string, double> calls = {
      {"archive/2026/11/29/call.wav", 3.0}, {"archive/2026/11/30/call.WAV", 4.0}, {"archive/top.wav", 5.0}};
  std::uint32_t seed = 40;
  for (const auto& [name, seconds] : calls) {
    fs::create_directories(fs::path(dir + "/" + name).parent_path());
    tw::test::write_synthetic_call(dir + "/" + name, seconds, seed++);
  }
  fs::create_directories(dir + "/archive/.trash");
  tw::test::write_synthetic_call(dir + "/archive/.trash/old.wav", 2.0, seed++);
  tw::test::write_synthetic_call(dir + "/archive/.hidden.wav", 2.0, seed++);
  std::ofstream(dir + "/archive/2026/notes.txt") << "not a call\n";
  fs::create_directory_symlink("..", dir + "/archive/2026/11/up");

  const auto result =
      run_command(tonewatch_binary(), {"analyze", "--jobs", "2", "--root", dir + "/archive", "-o", dir + "/out", dir + "/archive"});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const std::map<std::string, std::string> expected_ids = {{"archive/2026/11/29/call.wav", "2026~11~29~call"},
                                                           {"archive/2026/11/30/call.WAV", "2026~11~30~call"},
                                                           {"archive/top.wav", "top"}};
  for (const auto& [name, id] : expected_ids) {
    INFO(name << " as " << id);
    const nlohmann::json summary = read_json(dir + "/out/" + id + ".summary.json");
    CHECK(summary["input"]["path"] == fs::path(dir + "/" + name).lexically_normal().string());
    CHECK(summary["duration_s"].get<double>() == Approx(calls.at(name)).margin(0.02));
  }
  std::size_t summaries = 0;
  for (const auto& entry : fs::directory_iterator(dir + "/out")) {
    if (entry.path().string().ends_with(".summary.json")) ++summaries;
  }
  CHECK(summaries == 3);

  // A folder with no call in it is an error that names it, and nothing is analysed.
  fs::create_directories(dir + "/empty/sub");
  std::ofstream(dir + "/empty/sub/readme.txt") << "no audio here\n";
  const auto empty = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out2", dir + "/empty"});
  CHECK(empty.exit_code == 2);
  CHECK(empty.err.find(dir + "/empty: no recorded calls in this folder or below it") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out2/tonewatch-manifest.jsonl"));
}
