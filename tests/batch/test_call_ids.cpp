// Call ids: unique within a run, the same whatever the order of the inputs,
// safe as file names, and short enough for every output suffix.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "batch/call_ids.h"
#include "io/path_text.h"

using tw::batch::make_call_ids;

namespace {

std::map<std::string, std::string> ids_by_input(const std::vector<std::string>& inputs, const std::string& root = {}) {
  const std::vector<std::string> ids = make_call_ids(inputs, root);
  REQUIRE(ids.size() == inputs.size());
  std::map<std::string, std::string> by_input;
  for (std::size_t i = 0; i < inputs.size(); ++i) by_input[inputs[i]] = ids[i];
  return by_input;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Unique (ignoring ASCII case), valid UTF-8, no '/', within the length limit, and
// the same for every order of the inputs.
void check_ids(const std::vector<std::string>& inputs, const std::string& root = {}) {
  const auto reference = ids_by_input(inputs, root);
  std::set<std::string> seen;
  for (const auto& [input, id] : reference) {
    INFO(tw::io::escape_invalid_utf8(input) << " -> " << id);
    CHECK(seen.insert(lower(id)).second);
    CHECK(tw::io::is_valid_utf8(id));
    CHECK(id.find('/') == std::string::npos);
    CHECK(!id.empty());
    CHECK(id.front() != '.');
    CHECK(id.size() <= tw::batch::kMaxCallIdBytes);
  }
  std::vector<std::string> shuffled = inputs;
  std::sort(shuffled.begin(), shuffled.end());
  int orders = 0;
  do {
    CHECK(ids_by_input(shuffled, root) == reference);
  } while (std::next_permutation(shuffled.begin(), shuffled.end()) && ++orders < 24);
}

}  // namespace

TEST_CASE("the issue's colliding names get three ids told apart by their folders", "[batch][ids]") {
  const std::vector<std::string> inputs = {"/data/a/call.wav", "/data/b/call.wav", "/data/c/call-2.wav"};
  const auto ids = ids_by_input(inputs);
  CHECK(ids.at("/data/a/call.wav") == "a~call");
  CHECK(ids.at("/data/b/call.wav") == "b~call");
  CHECK(ids.at("/data/c/call-2.wav") == "call-2");
  check_ids(inputs);
}

TEST_CASE("ids take as many folders as it takes to tell names apart", "[batch][ids]") {
  const auto ids = ids_by_input({"/archive/2026/11/29/call.wav", "/archive/2026/11/30/call.wav"});
  CHECK(ids.at("/archive/2026/11/29/call.wav") == "29~call");
  CHECK(ids.at("/archive/2026/11/30/call.wav") == "30~call");
  const auto deeper = ids_by_input({"/p/x/call.wav", "/q/x/call.wav", "/q/y/call.wav", "/q/y/other.wav"});
  CHECK(deeper.at("/p/x/call.wav") == "p~x~call");
  CHECK(deeper.at("/q/x/call.wav") == "q~x~call");
  CHECK(deeper.at("/q/y/call.wav") == "y~call");
  CHECK(deeper.at("/q/y/other.wav") == "other");
  check_ids({"/p/x/call.wav", "/q/x/call.wav", "/q/y/call.wav", "/q/y/other.wav"});
  // A single input is its file's stem, however far from the others' folders.
  CHECK(make_call_ids({"/archive/2026/11/29/call.wav"}) == std::vector<std::string>{"call"});
  CHECK(make_call_ids({"/tmp/a.wav", "/work/examples/example_call.wav"}) ==
        std::vector<std::string>{"a", "example_call"});
  // Relative inputs are taken from the current folder.
  CHECK(make_call_ids({"x/one.wav", "./x/two.wav"}) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("root pins the ids however many folders the inputs span", "[batch][ids]") {
  const auto one_day = ids_by_input({"/archive/2026/11/29/call.wav"}, "/archive");
  CHECK(one_day.at("/archive/2026/11/29/call.wav") == "2026~11~29~call");
  const auto two_days = ids_by_input({"/archive/2026/11/29/call.wav", "/archive/2026/11/30/call.wav"}, "/archive");
  CHECK(two_days.at("/archive/2026/11/29/call.wav") == "2026~11~29~call");
  CHECK_THROWS_AS(make_call_ids({"/elsewhere/call.wav"}, "/archive"), std::invalid_argument);
}

TEST_CASE("names that become one id all get a hash whatever their order", "[batch][ids]") {
  const std::vector<std::string> inputs = {"/d/my call.wav", "/d/my_call.wav", "/d/my,call.wav"};
  const auto ids = ids_by_input(inputs);
  for (const auto& [input, id] : ids) {
    INFO(input << " -> " << id);
    CHECK(id.rfind("my_call-", 0) == 0);
    CHECK(id.size() == std::string("my_call-").size() + 8);
  }
  check_ids(inputs);
  // The same stem with other extensions, and names that differ only in case.
  check_ids({"/d/call.wav", "/d/call.flac", "/d/Call.wav", "/d/CALL.raw"});
  // A file named like another's hashed id does not take it.
  const std::vector<std::string> tricky = {"/d/x y.wav", "/d/x_y.wav", "/d/" + ids_by_input({"/d/x y.wav", "/d/x_y.wav"}).at("/d/x y.wav") + ".wav"};
  check_ids(tricky);
  // The same file given twice still gets two ids (the runner gives it one call).
  check_ids({"/d/same.wav", "/d/same.wav"});
}

TEST_CASE("ids are safe file names from any bytes", "[batch][ids]") {
  CHECK(tw::batch::safe_name("caf\xE9") == "caf_");                  // Latin-1, not UTF-8
  CHECK(tw::batch::safe_name("anruf-m\xC3\xBCller") == "anruf-m\xC3\xBCller");  // UTF-8 letters stay
  CHECK(tw::batch::safe_name("a b,c;d\"e'f\\g") == "a_b_c_d_e_f_g");
  CHECK(tw::batch::safe_name("\xE2\x80\xAE" "evil") == "_evil");        // right-to-left override
  CHECK(tw::batch::safe_name("tab\there\nnewline") == "tab_here_newline");
  CHECK(tw::batch::safe_name(".hidden") == "_hidden");
  CHECK(tw::batch::safe_name("v1.2") == "v1.2");
  check_ids({"/d/caf\xE9.wav", "/d/caf\xE8.wav", "/d/\xFF\xFE.wav", "/d/.wav", "/d/x/\x01.wav", "/e/\x02.wav"});
}

TEST_CASE("long names are shortened with a hash and stay unique", "[batch][ids]") {
  const std::string long_name(240, 'n');
  const std::string long_utf8 = [] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "\xC3\xBC";  // 200 bytes of u-umlaut
    return s;
  }();
  const std::vector<std::string> inputs = {"/d/" + long_name + ".wav", "/d/" + long_name + "x.wav",
                                           "/d/" + long_utf8 + ".wav", "/d/" + long_utf8 + "a.wav"};
  const auto ids = ids_by_input(inputs);
  for (const auto& [input, id] : ids) {
    CHECK(id.size() <= tw::batch::kMaxCallIdBytes);
    CHECK(id.size() >= tw::batch::kMaxCallIdBytes - 2);  // cut only as far as needed (a UTF-8 letter is 2 bytes)
  }
  CHECK(ids.at(inputs[0]).rfind(long_name.substr(0, 100), 0) == 0);
  check_ids(inputs);
  // The longest output file name fits Linux's 255-byte limit.
  const std::string longest = ids.at(inputs[0]) + ".windows.jsonl" + ".tmp-4194304-deadbeef-4294967295";
  CHECK(longest.size() <= 255);
}
