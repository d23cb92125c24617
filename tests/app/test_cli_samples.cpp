// Non-finite samples end to end: one NaN in a float WAV is silence for the
// analysis and a warning with its time; a channel of nothing but NaN fails the call.

#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "support/cli_fixtures.h"
#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/test_wav.h"

namespace {
namespace fs = std::filesystem;
using tw::test::read_json;
using tw::test::read_text;
using tw::test::run_command;
using tw::test::tonewatch_binary;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

TEST_CASE("one NaN in a float WAV changes nothing but a warning with its time", "[cli][non-finite]") {
  // The same 20 s call twice, as float WAVs of the same name in two folders: in
  // one, the caller's sample at 10.0 s is NaN; in the other it is 0, which is
  // what the NaN must be analysed as. Every table must come out identical.
  const std::string dir = tw::test::scratch_dir() + "/nan-one";
  fs::remove_all(dir);
  fs::create_directories(dir + "/nan");
  fs::create_directories(dir + "/zero");
  std::vector<float> audio = tw::test::synthetic_call(20.0, 5);
  const std::size_t at = 2 * 80000;  // frame 80000 = 10.000 s, left channel (caller)
  REQUIRE(audio[at] != 0.0f);
  audio[at] = kNaN;
  tw::test::write_wav_float32(dir + "/nan/call.wav", audio, 2, 8000);
  audio[at] = 0.0f;
  tw::test::write_wav_float32(dir + "/zero/call.wav", audio, 2, 8000);

  const auto with_nan = run_command(tonewatch_binary(), {"analyze", "--frames", "-o", dir + "/out-nan", dir + "/nan/call.wav"});
  const auto with_zero = run_command(tonewatch_binary(), {"analyze", "--frames", "-o", dir + "/out-zero", dir + "/zero/call.wav"});
  INFO(with_nan.out << with_nan.err);
  REQUIRE(with_nan.exit_code == 0);
  REQUIRE(with_zero.exit_code == 0);
  for (const char* table : {"call.windows.csv", "call.frames.csv", "call.events.jsonl"}) {
    INFO(table);
    CHECK(read_text(dir + "/out-nan/" + table) == read_text(dir + "/out-zero/" + table));
  }
  nlohmann::json nan_summary = read_json(dir + "/out-nan/call.summary.json");
  nlohmann::json zero_summary = read_json(dir + "/out-zero/call.summary.json");
  const nlohmann::json caller = nan_summary["speakers"][0];
  CHECK(caller["channel"] == 0);
  CHECK(caller["non_finite_samples"] == 1);
  REQUIRE(caller["non_finite_at_s"].size() == 1);
  CHECK(caller["non_finite_at_s"][0][0].get<double>() == Approx(10.0).margin(1e-9));
  CHECK(caller["non_finite_at_s"][0][1].get<double>() == Approx(10.0001).margin(1e-9));
  CHECK(nan_summary["speakers"][1]["non_finite_samples"] == 0);
  const std::string warning = "channel 0 (caller) had 1 non-finite sample (NaN or infinity), analysed as silence: at 10.000 s";
  CHECK(nan_summary["warnings"].back() == warning);
  CHECK(with_nan.out.find("warning: " + warning) != std::string::npos);
  // Apart from the input and the warning, the summaries agree.
  for (nlohmann::json* s : {&nan_summary, &zero_summary}) {
    s->erase("input");
    s->erase("warnings");
    for (nlohmann::json& speaker : (*s)["speakers"]) {
      speaker.erase("non_finite_samples");
      speaker.erase("non_finite_at_s");
    }
  }
  CHECK(nan_summary == zero_summary);
}

TEST_CASE("a channel of nothing but NaN fails that call naming the file and channel", "[cli][non-finite]") {
  const std::string dir = tw::test::scratch_dir() + "/nan-all";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<float> audio = tw::test::synthetic_call(5.0, 6);
  for (std::size_t f = 0; f < audio.size() / 2; ++f) audio[2 * f + 1] = kNaN;  // the agent's channel
  tw::test::write_wav_float32(dir + "/dead_agent.wav", audio, 2, 8000);
  tw::test::write_synthetic_call(dir + "/good.wav", 3.0);
  const auto result = run_command(tonewatch_binary(), {"analyze", "-o", dir + "/out", dir + "/dead_agent.wav", dir + "/good.wav"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find(dir + "/dead_agent.wav: invalid samples: channel 1 has no finite sample: all 40000 are NaN or infinite") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out/dead_agent.summary.json"));
  CHECK(tw::test::temporaries_in(dir + "/out").empty());
  CHECK(fs::exists(dir + "/out/good.summary.json"));
}
