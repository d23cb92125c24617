// The call summary's input path (lossless for any bytes) and its record of the
// non-finite samples the source replaced.

#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "io/non_finite_guard.h"
#include "report/call_summary.h"

TEST_CASE("an input path is written as valid UTF-8 and read back byte for byte", "[report][path]") {
  const nlohmann::json plain = tw::report::input_path_json("/calls/2026/anruf-m\xC3\xBCller.wav");
  CHECK(plain == nlohmann::json{{"path", "/calls/2026/anruf-m\xC3\xBCller.wav"}});
  const std::string odd = "/calls/caf\xE9\xFF.wav";
  const nlohmann::json escaped = tw::report::input_path_json(odd);
  CHECK(escaped["path"] == "/calls/caf\\xE9\\xFF.wav");
  CHECK(escaped["path_bytes_hex"] == "2f63616c6c732f636166e9ff2e776176");
  CHECK_NOTHROW(escaped.dump());
  CHECK(tw::report::input_path_from_json(escaped) == odd);
  CHECK(tw::report::input_path_from_json(plain) == "/calls/2026/anruf-m\xC3\xBCller.wav");
  CHECK_THROWS_AS(tw::report::input_path_from_json(nlohmann::json::object()), std::invalid_argument);
  // The whole summary of such an input dumps (it threw type_error.316 before).
  tw::report::InputDescription input{odd, "WAV", 8000, 1};
  const nlohmann::json summary = tw::report::make_call_summary("caf__", input, 8000, {});
  CHECK_NOTHROW(summary.dump());
  CHECK(summary["input"]["path_bytes_hex"] == escaped["path_bytes_hex"]);
}

TEST_CASE("non-finite samples are in the summary per speaker and as a warning with their times", "[report][non-finite]") {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  // Stereo at 16 kHz: the agent (right) has NaN at 0.5 s and from 2.0 to 2.001 s.
  std::vector<float> x(2 * 48000, 0.25f);
  x[2 * 8000 + 1] = kNaN;
  for (std::size_t f = 32000; f < 32016; ++f) x[2 * f + 1] = kNaN;
  tw::io::NonFiniteGuard guard(2);
  guard.process(x);
  nlohmann::json summary = {{"speakers", {{{"role", "caller"}, {"channel", 0}}, {{"role", "agent"}, {"channel", 1}}}},
                            {"warnings", nlohmann::json::array()}};
  tw::report::add_non_finite_samples(guard, 16000,
                                     {tw::features::SpeakerRole::caller, tw::features::SpeakerRole::agent}, summary);
  CHECK(summary["speakers"][0]["non_finite_samples"] == 0);
  CHECK(summary["speakers"][0]["non_finite_at_s"].empty());
  CHECK(summary["speakers"][1]["non_finite_samples"] == 17);
  REQUIRE(summary["speakers"][1]["non_finite_at_s"].size() == 2);
  CHECK(summary["speakers"][1]["non_finite_at_s"][1][0].get<double>() == Approx(2.0));
  CHECK(summary["speakers"][1]["non_finite_at_s"][1][1].get<double>() == Approx(2.001));
  REQUIRE(summary["warnings"].size() == 1);
  CHECK(summary["warnings"][0] ==
        "channel 1 (agent) had 17 non-finite samples (NaN or infinity), analysed as silence: at 0.500 s, 2.000-2.001 s");
}
