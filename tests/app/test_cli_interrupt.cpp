// Interrupted and concurrent runs, end to end with real processes and signals:
// SIGINT/SIGTERM stop cleanly, SIGKILL's litter goes on the next run, one run
// per output folder, and FIFOs are read once even with a progress display.

#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/cli_fixtures.h"
#include "support/run_command.h"
#include "support/shared_data.h"

namespace {

namespace fs = std::filesystem;
using tw::test::BackgroundCommand;
using tw::test::run_command;
using tw::test::tonewatch_binary;

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool has_temporary_of(const std::string& dir, const std::string& call) {
  for (const std::string& name : tw::test::temporaries_in(dir)) {
    if (name.rfind(call + ".", 0) == 0) return true;
  }
  return false;
}

// done.wav (regular), then stream.wav (a FIFO fed slowly: the call in progress
// when the signal comes), then later.wav (regular, never reached), one at a time.
void check_stops_cleanly(int signal_number, int expected_status, const char* signal_name) {
  const std::string dir = fresh_dir(std::string("interrupt-") + signal_name);
  const std::string out = dir + "/out";
  tw::test::write_synthetic_call(dir + "/done.wav", 3.0, 1);
  tw::test::write_synthetic_call(dir + "/later.wav", 3.0, 2);
  tw::test::FifoWavWriter stream(dir + "/stream.wav", 600.0, 600.0, 20.0);
  BackgroundCommand run(tonewatch_binary(), {"analyze", "--jobs", "1", "-o", out, dir + "/done.wav",
                                             dir + "/stream.wav", dir + "/later.wav"});
  REQUIRE(tw::test::wait_until([&] {
    return fs::exists(out + "/done.summary.json") && has_temporary_of(out, "stream") && stream.bytes_written() > 100000;
  }));
  run.send(signal_number);
  const auto result = run.wait();
  INFO(result.out << result.err);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == expected_status);
  CHECK(result.err.find(std::string("stopped by ") + signal_name) != std::string::npos);
  CHECK(result.err.find("1 analysed") != std::string::npos);
  CHECK(result.err.find("1 abandoned") != std::string::npos);
  CHECK(result.err.find("1 not started") != std::string::npos);
  CHECK(result.out.find("interrupted") != std::string::npos);
  CHECK(result.out.find("not started") != std::string::npos);
  // No litter, the finished call whole, nothing of the abandoned one.
  CHECK(tw::test::temporaries_in(out).empty());
  CHECK_NOTHROW(tw::test::read_json(out + "/done.summary.json"));
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    CHECK(name.rfind("stream.", 0) != 0);
    CHECK(name.rfind("later.", 0) != 0);
  }
  const std::string manifest = tw::test::read_text(out + "/tonewatch-manifest.jsonl");
  CHECK(manifest.find("\"run interrupted\"") != std::string::npos);

  // The rerun finishes the job: the done call is skipped, the rest analysed.
  stream.stop();
  const auto rerun = run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/done.wav", dir + "/later.wav"});
  INFO(rerun.out << rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.out.find("1 call(s) skipped") != std::string::npos);
  CHECK(fs::exists(out + "/later.summary.json"));
}

}  // namespace

TEST_CASE("SIGINT stops a batch cleanly with status 130", "[cli][signals]") {
  check_stops_cleanly(SIGINT, 130, "SIGINT");
}

TEST_CASE("SIGTERM stops a batch cleanly with status 143", "[cli][signals]") {
  check_stops_cleanly(SIGTERM, 143, "SIGTERM");
}

TEST_CASE("the temporaries a SIGKILL leaves are removed by the next run", "[cli][signals]") {
  const std::string dir = fresh_dir("interrupt-kill");
  const std::string out = dir + "/out";
  tw::test::FifoWavWriter stream(dir + "/stream.wav", 600.0, 600.0, 20.0);
  {
    BackgroundCommand run(tonewatch_binary(), {"analyze", "-o", out, dir + "/stream.wav"});
    REQUIRE(tw::test::wait_until([&] { return has_temporary_of(out, "stream") && stream.bytes_written() > 100000; }));
    run.send(SIGKILL);
    CHECK(run.wait().exit_code == 128 + SIGKILL);
  }
  stream.stop();
  const std::vector<std::string> litter = tw::test::temporaries_in(out);
  REQUIRE_FALSE(litter.empty());  // what the issue saw: nothing can clean up after SIGKILL

  tw::test::write_synthetic_call(dir + "/next.wav", 3.0);
  const auto rerun = run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/next.wav"});
  INFO(rerun.out << rerun.err);
  CHECK(rerun.exit_code == 0);
  CHECK(tw::test::temporaries_in(out).empty());
  for (const std::string& name : litter) CHECK(rerun.err.find("removed " + out + "/" + name) != std::string::npos);
  CHECK(fs::exists(out + "/next.summary.json"));
}

TEST_CASE("a second run into a busy output folder exits 2 naming the first run's pid", "[cli][lock]") {
  const std::string dir = fresh_dir("lock-busy");
  const std::string out = dir + "/out";
  tw::test::write_synthetic_call(dir + "/call.wav", 3.0);
  tw::test::FifoWavWriter stream(dir + "/stream.wav", 600.0, 600.0, 20.0);
  BackgroundCommand first(tonewatch_binary(), {"analyze", "-o", out, dir + "/stream.wav"});
  REQUIRE(tw::test::wait_until([&] { return has_temporary_of(out, "stream"); }));

  const auto second = run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/call.wav"});
  INFO(second.out << second.err);
  CHECK(second.exit_code == 2);
  CHECK(second.err.find("--out " + out + " is in use by another tonewatch run (pid " + std::to_string(first.pid()) +
                        ",") != std::string::npos);
  CHECK_FALSE(fs::exists(out + "/call.summary.json"));

  first.send(SIGTERM);
  CHECK(first.wait().exit_code == 143);
  stream.stop();
  // Free again once the first run has ended.
  CHECK(run_command(tonewatch_binary(), {"analyze", "-o", out, dir + "/call.wav"}).exit_code == 0);
}

TEST_CASE("a FIFO input is read once when stderr is a terminal", "[cli][fifo]") {
  // The progress display reads the headers of the inputs first; a FIFO can be
  // read only once, so that read used to hang the run or fail the call.
  const std::string dir = fresh_dir("fifo-terminal");
  tw::test::write_synthetic_call(dir + "/file.wav", 3.0);
  tw::test::FifoWavWriter stream(dir + "/stream.wav", 6.0, 6.0);
  tw::test::RunOptions options;
  options.stderr_terminal = true;
  options.timeout_s = 60.0;
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", dir + "/file.wav",
                                                       dir + "/stream.wav"}, options);
  INFO(result.out << result.err);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code == 0);
  const nlohmann::json summary = tw::test::read_json(dir + "/out/stream.summary.json");
  CHECK(summary["duration_s"].get<double>() == Approx(6.0).margin(0.02));
  CHECK(summary["input"].contains("size_bytes") == false);  // not a regular file: no identity to resume by
  // A FIFO is analysed again on every run: its content cannot be recognised.
  tw::test::FifoWavWriter again(dir + "/stream.wav", 6.0, 6.0);
  const auto rerun = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", dir + "/stream.wav"}, options);
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.out.find("analysed again: the input is not a regular file") != std::string::npos);
}
