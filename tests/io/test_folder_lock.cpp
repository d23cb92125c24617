// One writer per folder, and what killed writers leave behind.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/folder_lock.h"
#include "support/cli_fixtures.h"
#include "support/shared_data.h"
#include "support/test_wav.h"

namespace {
namespace fs = std::filesystem;

// A pid no process has: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}
}  // namespace

TEST_CASE("a folder lock is exclusive and names its holder", "[io][lock]") {
  const std::string dir = tw::test::scratch_dir() + "/io-lock";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    tw::io::FolderLock first(dir, "x.lock");
    CHECK(tw::test::read_text(dir + "/x.lock") == std::to_string(::getpid()) + "\n");
    // flock(2) locks conflict between open files even within one process.
    try {
      tw::io::FolderLock second(dir, "x.lock");
      FAIL("the lock was taken twice");
    } catch (const tw::io::FolderBusy& busy) {
      CHECK(busy.holder() == ::getpid());
      CHECK(std::string(busy.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
    }
  }
  CHECK_NOTHROW(tw::io::FolderLock(dir, "x.lock"));
  CHECK_THROWS_AS(tw::io::FolderLock(dir + "/no/such/folder", "x.lock"), std::runtime_error);
}

TEST_CASE("temporaries of dead writers are removed and live ones kept", "[io][lock]") {
  const std::string dir = tw::test::scratch_dir() + "/io-stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string dead = std::to_string(dead_pid());
  const std::string own = std::to_string(::getpid());
  const std::string live = std::to_string(::getppid());  // the test's parent is running
  const std::vector<std::string> stale = {
      "a.summary.json.tmp-" + dead + "-0badf00d-3",  // a killed run
      "b.windows.csv.tmp-" + dead + "-12",           // the form before the nonce
      "c.events.jsonl.tmp-" + own + "-00000000-1",   // this pid in an earlier life (a container's pid 1)
  };
  const std::vector<std::string> kept = {
      "d.events.jsonl.tmp-" + live + "-0badf00d-1",  // a running process's
      "e.summary.json",                             // not a temporary
      "f.tmp-notes.txt", "g.wav.tmp-12-zz-1",       // look alike, are not
  };
  for (const auto& name : stale) tw::test::write_bytes(dir + "/" + name, "x");
  for (const auto& name : kept) tw::test::write_bytes(dir + "/" + name, "x");
  // What this process is writing right now is never touched.
  tw::io::AtomicFile in_flight(dir + "/h.summary.json");
  in_flight.stream() << "{}";

  const std::vector<std::string> removed = tw::io::remove_stale_temporaries(dir);
  CHECK(removed.size() == stale.size());
  for (const auto& name : stale) CHECK_FALSE(fs::exists(dir + "/" + name));
  for (const auto& name : kept) CHECK(fs::exists(dir + "/" + name));
  in_flight.commit();
  CHECK(tw::test::read_text(dir + "/h.summary.json") == "{}");
  for (const auto& name : stale) CHECK(tw::io::is_temporary_name(name));
  CHECK_FALSE(tw::io::is_temporary_name("f.tmp-notes.txt"));
}
