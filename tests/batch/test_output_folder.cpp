// The output folder of a run: one run at a time, temporaries of killed runs
// removed, a manifest of JSON lines.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "batch/output_folder.h"
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

TEST_CASE("a second holder of an output folder is refused with the first one's pid", "[batch][lock]") {
  const std::string dir = tw::test::scratch_dir() + "/folder-lock";
  fs::remove_all(dir);
  {
    tw::batch::OutputFolder first(dir);
    CHECK(fs::is_directory(dir));
    try {
      tw::batch::OutputFolder second(dir);
      FAIL("a second OutputFolder took the lock");
    } catch (const tw::batch::OutputFolderError& e) {
      INFO(e.what());
      CHECK(e.holder() == ::getpid());
      CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
      CHECK(std::string(e.what()).find("in use") != std::string::npos);
    }
  }
  // Released with the first.
  CHECK_NOTHROW(tw::batch::OutputFolder(dir));
}

TEST_CASE("an output folder that is a file is refused by name", "[batch][lock]") {
  const std::string file = tw::test::scratch_dir() + "/folder-is-a-file";
  tw::test::write_bytes(file, "x");
  try {
    tw::batch::OutputFolder folder(file);
    FAIL("a file was taken as the output folder");
  } catch (const tw::batch::OutputFolderError& e) {
    CHECK(std::string(e.what()) == file + " exists and is not a folder");
  }
}

TEST_CASE("taking an output folder removes what killed runs left and says so", "[batch][lock]") {
  const std::string dir = tw::test::scratch_dir() + "/folder-stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string litter = dir + "/a.summary.json.tmp-" + std::to_string(dead_pid()) + "-0badf00d-3";
  tw::test::write_bytes(litter, "x");
  tw::batch::OutputFolder folder(dir);
  CHECK(folder.removed_temporaries() == std::vector<std::string>{litter});
  CHECK_FALSE(fs::exists(litter));
}

TEST_CASE("the manifest gets one JSON line per record", "[batch][lock]") {
  const std::string dir = tw::test::scratch_dir() + "/folder-manifest";
  fs::remove_all(dir);
  {
    tw::batch::OutputFolder folder(dir);
    folder.append_manifest({{"record", "run started"}, {"n", 1}});
    folder.append_manifest({{"record", "run finished"}, {"path", "caf\\xE9"}});
  }
  std::ifstream in(dir + "/" + tw::batch::kManifestFileName);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["record"] == "run started");
  CHECK(lines[1]["record"] == "run finished");
}
