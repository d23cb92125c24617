// Which files a folder given as input stands for.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "batch/input_folders.h"
#include "support/shared_data.h"

using tw::batch::expand_input_folders;
using tw::batch::is_call_file_name;

TEST_CASE("a folder walk keeps audio file names of any case and skips hidden and other files", "[batch]") {
  for (const char* name : {"call.wav", "CALL.WAV", "a.b.Wave", "x.flac", "y.au", "z.snd"}) {
    INFO(name);
    CHECK(is_call_file_name(name, false));
    CHECK(is_call_file_name(name, true));
  }
  for (const char* name : {"notes.txt", "call.wav.json", "call", "wav", ".hidden.wav", ""}) {
    INFO(name);
    CHECK_FALSE(is_call_file_name(name, false));
  }
  // Headerless audio has no telling name: with --raw every file but a hidden one.
  CHECK(is_call_file_name("call", true));
  CHECK(is_call_file_name("notes.txt", true));
  CHECK_FALSE(is_call_file_name(".hidden", true));
}

TEST_CASE("folders among the inputs become their call files in path order and files stay in place", "[batch]") {
  namespace fs = std::filesystem;
  const std::string dir = tw::test::scratch_dir() + "/input-folders";
  fs::remove_all(dir);
  for (const char* name : {"f/b/2.wav", "f/a/1.flac", "f/c.au", "f/.h/3.wav", "f/skip.txt"}) {
    fs::create_directories(fs::path(dir + "/" + name).parent_path());
    std::ofstream(dir + "/" + name) << "x";
  }
  const std::vector<std::string> expanded =
      expand_input_folders({dir + "/one.wav", dir + "/f", dir + "/missing.wav"}, false);
  const std::vector<std::string> expected = {dir + "/one.wav", dir + "/f/a/1.flac", dir + "/f/b/2.wav", dir + "/f/c.au",
                                             dir + "/missing.wav"};
  CHECK(expanded == expected);
  // With --raw the text file counts too; the hidden folder still does not.
  CHECK(expand_input_folders({dir + "/f"}, true).size() == 4);
  fs::create_directories(dir + "/none");
  CHECK_THROWS_WITH(expand_input_folders({dir + "/none"}, false), Catch::Contains("no recorded calls"));
}
