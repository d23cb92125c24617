// Exit statuses and messages, end to end: every usage error is 2 and names the
// flag or file and what is wrong; input problems are per call (status 1).

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/cli_fixtures.h"
#include "support/run_command.h"
#include "support/shared_data.h"

namespace {
namespace fs = std::filesystem;
using tw::test::run_command;
using tw::test::tonewatch_binary;

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
}  // namespace

TEST_CASE("every command-line error exits 2 with a message naming the flag", "[cli][usage]") {
  const std::string dir = fresh_dir("usage-errors");
  const std::string wav = dir + "/call.wav";
  tw::test::write_synthetic_call(wav, 2.0);
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> says;
  };
  const Case cases[] = {
      {{}, {"no command given", "analyze", "serve", "live", "devices", "defaults"}},
      {{"analyse", wav}, {"unknown command 'analyse'", "did you mean 'analyze'"}},
      {{"--bogus"}, {"unknown option '--bogus'"}},
      {{"analyze"}, {"no input files"}},
      {{"analyze", wav, "--bogus"}, {"--bogus"}},
      {{"analyze", wav, "--jobs", "many"}, {"--jobs", "many"}},
      {{"analyze", wav, "--jobs", "-1"}, {"--jobs", "-1"}},
      {{"analyze", wav, "--jobs"}, {"--jobs"}},
      {{"analyze", wav, "--format", "xml"}, {"--format", "xml"}},
      {{"analyze", wav, "--raw", "s16", "--raw-rate", "0"}, {"--raw-rate", "0", "8000"}},
      {{"analyze", wav, "--raw-rate", "16000"}, {"--raw-rate requires --raw"}},
      {{"analyze", wav, "--raw", "pcm"}, {"--raw", "unknown raw encoding 'pcm'"}},
      {{"analyze", wav, "--raw", "s16", "--raw-channels", "3"}, {"--raw-channels", "3"}},
      {{"analyze", wav, "--channels", "caller,caller"}, {"--channels", "channel layout"}},
      {{"analyze", wav, "--mono-role", "boss"}, {"--mono-role", "boss"}},
      {{"analyze", wav, "--root", dir + "/nowhere"}, {"--root", "nowhere"}},
      {{"defaults", "extra"}, {"extra"}},
  };
  for (const Case& c : cases) {
    std::string shown;
    for (const std::string& a : c.args) shown += " " + a;
    const auto result = run_command(tonewatch_binary(), c.args);
    INFO("tonewatch" << shown << "\n" << result.out << result.err);
    CHECK(result.exit_code == 2);
    for (const std::string& s : c.says) CHECK(result.err.find(s) != std::string::npos);
    CHECK(result.err.rfind("tonewatch: ", 0) == 0);
  }
  // An input outside --root is a usage error too, naming it.
  fs::create_directories(dir + "/root");
  const auto outside = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", "--root", dir + "/root", wav});
  CHECK(outside.exit_code == 2);
  CHECK(outside.err.find(wav + " is not inside the root folder") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out"));
}

TEST_CASE("help and version exit 0", "[cli][usage]") {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"}, {"analyze", "--help"}, {"--version"}}) {
    const auto result = run_command(tonewatch_binary(), args);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
  CHECK(run_command(tonewatch_binary(), {"--help"}).out.find("Exit status") != std::string::npos);
}

TEST_CASE("config values out of range and unreadable config files exit 2 naming them", "[cli][usage]") {
  const std::string dir = fresh_dir("usage-config");
  const std::string wav = dir + "/call.wav";
  tw::test::write_synthetic_call(wav, 2.0);
  std::ofstream(dir + "/huge.json") << R"({"agitation": {"cusum_threshold": 1e308}})";
  auto result = run_command(tonewatch_binary(), {"analyze", wav, "-o", dir + "/out", "--config", dir + "/huge.json"});
  INFO(result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--config " + dir + "/huge.json") != std::string::npos);
  CHECK(result.err.find("agitation.cusum_threshold = 1e+308 is out of range") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out"));

  result = run_command(tonewatch_binary(), {"analyze", wav, "-o", dir + "/out", "--config", dir + "/missing.json"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--config " + dir + "/missing.json: cannot open config file: No such file") != std::string::npos);

  result = run_command(tonewatch_binary(), {"analyze", wav, "-o", dir + "/out", "--model", dir + "/missing.json"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--model " + dir + "/missing.json: cannot open model file") != std::string::npos);
}

TEST_CASE("an output folder given as a file exits 2 with one message and analyses nothing", "[cli][usage]") {
  const std::string dir = fresh_dir("usage-out-file");
  const std::string wav = dir + "/call.wav";
  tw::test::write_synthetic_call(wav, 2.0);
  std::ofstream(dir + "/afile") << "not a folder";
  const auto result = run_command(tonewatch_binary(), {"analyze", wav, wav, "-o", dir + "/afile"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err == "tonewatch: --out " + dir + "/afile exists and is not a folder\n");
  CHECK(result.out.empty());
}

TEST_CASE("an unreadable input fails as permission denied not as missing", "[cli][usage]") {
  // Run as the user nobody when the tests run as root (root reads any file).
  const std::string dir = fresh_dir("usage-permission");
  fs::permissions(dir, fs::perms::all);
  const std::string locked = dir + "/locked.wav", fine = dir + "/fine.wav";
  tw::test::write_synthetic_call(locked, 2.0, 1);
  tw::test::write_synthetic_call(fine, 2.0, 2);
  ::chmod(locked.c_str(), 0);
  ::chmod(fine.c_str(), 0644);
  fs::create_directories(dir + "/closed");
  tw::test::write_synthetic_call(dir + "/closed/inside.wav", 2.0, 3);
  ::chmod((dir + "/closed").c_str(), 0);
  fs::create_directories(dir + "/out");
  fs::permissions(dir + "/out", fs::perms::all);
  tw::test::RunOptions as_user;
  as_user.unprivileged = true;
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", locked, fine,
                                                       dir + "/closed/inside.wav", dir + "/absent.wav"}, as_user);
  ::chmod((dir + "/closed").c_str(), 0755);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("3 of 4 call(s) failed") != std::string::npos);
  CHECK(result.err.find(locked + ": unreadable: permission denied") != std::string::npos);
  CHECK(result.err.find(dir + "/closed/inside.wav: unreadable: permission denied") != std::string::npos);
  CHECK(result.err.find(dir + "/absent.wav: missing: no such file") != std::string::npos);
  CHECK(result.err.find("System error") == std::string::npos);
  CHECK(fs::exists(dir + "/out/fine.summary.json"));
}

TEST_CASE("a folder given as an input with no recorded call below it is refused naming it", "[cli][usage]") {
  // A folder stands for the call files below it (test_cli_archive.cpp); one with
  // none is a mistyped or empty archive, said at once before anything is analysed.
  const std::string dir = fresh_dir("usage-folder-input");
  fs::create_directories(dir + "/calls/day");
  std::ofstream(dir + "/calls/day/index.csv") << "call,agent\n";
  tw::test::write_synthetic_call(dir + "/one.wav", 2.0);
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", dir + "/calls", dir + "/one.wav"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(dir + "/calls: no recorded calls in this folder or below it (.wav, .flac or .au files; "
                              "headerless audio needs --raw)") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out/one.summary.json"));
}
