// The detection config file: the defaults round trip, a partial file changes only
// its keys, and unknown keys, wrong types and invalid values are refused naming
// the problem.

#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "app/config_file.h"
#include "detect/detection_config.h"
#include "build_paths.h"

using tw::app::apply_config_json;
using tw::app::config_to_json;
using tw::app::load_config_file;
using tw::detect::DetectionConfig;

namespace {

void require_rejected(const nlohmann::json& file, const std::string& message_part) {
  DetectionConfig config;
  try {
    apply_config_json(file, config);
  } catch (const std::invalid_argument& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(message_part) != std::string::npos);
    return;
  }
  FAIL("accepted " << file.dump() << "; expected an error mentioning '" << message_part << "'");
}

// Every key of the defaults with a value that differs from the default and still
// passes validation: numbers nudged by 1 % (whole numbers by one), bools flipped.
nlohmann::json nudged(const nlohmann::json& defaults) {
  nlohmann::json out = defaults;
  for (auto& [section, keys] : out.items()) {
    for (auto& [key, value] : keys.items()) {
      if (value.is_boolean()) {
        value = !value.get<bool>();
      } else if (value.is_number_unsigned()) {
        value = value.get<std::uint64_t>() + 1;
      } else {
        // Through float, as written (the shortest decimal of the float): most
        // fields are floats, and the comparison is exact.
        const double v = value.get<double>();
        const auto f = static_cast<float>(v == 0.0 ? 0.01 : v * 1.01);
        char text[32];
        const auto end = std::to_chars(text, text + sizeof text, f).ptr;
        value = std::strtod(std::string(text, end).c_str(), nullptr);
      }
    }
  }
  return out;
}

std::string temp_path(const char* name) { return tw::build::binary_dir() + "/" + name; }

}  // namespace

TEST_CASE("the defaults round trip through the config JSON", "[app][config]") {
  const nlohmann::json defaults = config_to_json(DetectionConfig{});
  REQUIRE(defaults.size() == 6);  // baseline, agitation, caller_agitation, turn_taking, agent_tone, stage
  CHECK(defaults.at("turn_taking").at("dead_air_s") == 5.0);
  CHECK(defaults.at("agent_tone").at("require_established_baseline") == true);
  CHECK(defaults.at("baseline").at("learning_windows").is_number_unsigned());

  // Written and read back as text, applied over a config that differs in every
  // key, the defaults come back exactly.
  const nlohmann::json changed = nudged(defaults);
  REQUIRE(changed != defaults);
  DetectionConfig config;
  apply_config_json(changed, config);
  REQUIRE(config_to_json(config) == changed);  // every key was applied
  apply_config_json(nlohmann::json::parse(defaults.dump(2)), config);
  CHECK(config_to_json(config) == defaults);
  // Spot checks on the struct itself, one per section.
  const DetectionConfig d;
  CHECK(config.baseline.learning_windows == d.baseline.learning_windows);
  CHECK(config.agitation.cusum_threshold == d.agitation.cusum_threshold);
  CHECK(config.caller.high_timing.cooldown_s == d.caller.high_timing.cooldown_s);
  CHECK(config.turns.monologue_s == d.turns.monologue_s);
  CHECK(config.agent.require_established_baseline == d.agent.require_established_baseline);
  CHECK(config.stage.venting_stall_s == d.stage.venting_stall_s);
}

TEST_CASE("the defaults print numbers as written", "[app][config]") {
  // A float field such as 0.35f is 0.3499999940395355 as a double; people load
  // the printed defaults into their own tools and edit them, so each number must
  // read as the value the code states.
  const nlohmann::json defaults = config_to_json(DetectionConfig{});
  std::size_t numbers = 0;
  for (const auto& [section, keys] : defaults.items()) {
    for (const auto& [key, value] : keys.items()) {
      if (!value.is_number_float()) continue;
      ++numbers;
      const std::string text = value.dump();
      INFO(section << "." << key << " prints as " << text);
      CHECK(text.size() <= 8);
      CHECK(static_cast<float>(value.get<double>()) == static_cast<float>(std::strtod(text.c_str(), nullptr)));
    }
  }
  CHECK(numbers >= 20);
  CHECK(defaults.at("stage").at("calm_level").dump() == "0.4");
}

TEST_CASE("a partial config file changes only its keys", "[app][config]") {
  DetectionConfig config;
  apply_config_json({{"turn_taking", {{"dead_air_s", 8.0}}}, {"baseline", {{"learning_windows", 12u}}},
                     {"agent_tone", {{"require_established_baseline", false}}}},
                    config);
  CHECK(config.turns.dead_air_s == 8.0);
  CHECK(config.baseline.learning_windows == 12);
  CHECK_FALSE(config.agent.require_established_baseline);

  nlohmann::json expected = config_to_json(DetectionConfig{});
  expected["turn_taking"]["dead_air_s"] = 8.0;
  expected["baseline"]["learning_windows"] = 12u;
  expected["agent_tone"]["require_established_baseline"] = false;
  CHECK(config_to_json(config) == expected);

  SECTION("an empty file changes nothing") {
    DetectionConfig untouched;
    apply_config_json(nlohmann::json::object(), untouched);
    CHECK(config_to_json(untouched) == config_to_json(DetectionConfig{}));
  }
}

TEST_CASE("unknown sections and keys are refused / naming them", "[app][config]") {
  require_rejected({{"turn_takin", {{"dead_air_s", 8.0}}}}, "unknown section 'turn_takin' (did you mean 'turn_taking'?)");
  // A typo in a key gets the nearest key; a key under the wrong section gets its own section.
  require_rejected({{"agitation", {{"cusum_thresold", 4.0}}}},
                   "unknown key 'agitation.cusum_thresold' (did you mean 'agitation.cusum_threshold'?)");
  require_rejected({{"turn_taking", {{"dead_air", 8.0}}}},
                   "unknown key 'turn_taking.dead_air' (did you mean 'turn_taking.dead_air_s'?)");
  // A key that exists, but in another section.
  require_rejected({{"stage", {{"dead_air_s", 8.0}}}}, "unknown key 'stage.dead_air_s' (did you mean 'turn_taking.dead_air_s'?)");
  // Nothing near: no suggestion.
  require_rejected({{"stage", {{"volume", 8.0}}}}, "unknown key 'stage.volume'");
  DetectionConfig config;
  CHECK_THROWS_WITH(apply_config_json({{"stage", {{"volume", 8.0}}}}, config), !Catch::Contains("did you mean"));
  require_rejected(nlohmann::json::array(), "JSON object");
  require_rejected({{"turn_taking", 5}}, "section 'turn_taking' must be an object");
}

TEST_CASE("values of the wrong type are refused / naming the key", "[app][config]") {
  require_rejected({{"turn_taking", {{"dead_air_s", "5"}}}}, "turn_taking.dead_air_s must be a number");
  require_rejected({{"turn_taking", {{"dead_air_s", nullptr}}}}, "turn_taking.dead_air_s must be a number");
  require_rejected({{"baseline", {{"learning_windows", 2.5}}}}, "baseline.learning_windows must be a whole number");
  require_rejected({{"baseline", {{"learning_windows", -3}}}}, "baseline.learning_windows must be a whole number");
  require_rejected({{"agent_tone", {{"require_established_baseline", 1}}}},
                   "agent_tone.require_established_baseline must be true or false");
  require_rejected({{"stage", {{"calm_level", true}}}}, "stage.calm_level must be a number");
}

TEST_CASE("numbers beyond what a field holds are refused naming the key", "[app][config]") {
  // JSON numbers are doubles; the fields are floats and ints. 1e308 became
  // +infinity in a float threshold and was accepted.
  require_rejected({{"agitation", {{"cusum_threshold", 1e308}}}}, "agitation.cusum_threshold = 1e+308 is out of range");
  require_rejected({{"agitation", {{"cusum_threshold", 1e39}}}}, "agitation.cusum_threshold = 1e+39 is out of range");
  require_rejected({{"agent_tone", {{"monotone_units", -1e308}}}}, "agent_tone.monotone_units = -1e+308 is out of range");
  // A whole number beyond 64-bit signed.
  require_rejected({{"baseline", {{"learning_windows", 18446744073709551615ULL}}}},
                   "baseline.learning_windows must be a whole number");
  // Just inside a float's range is still a number (left to the detectors' own rules).
  DetectionConfig config;
  CHECK_NOTHROW(apply_config_json({{"agitation", {{"cusum_threshold", 3.0e38}}}}, config));
  CHECK(config.agitation.cusum_threshold == Approx(3.0e38f));
}

TEST_CASE("invalid values are refused", "[app][config]") {
  SECTION("hysteresis the wrong way round") {
    require_rejected({{"caller_agitation", {{"high_close_level", 0.8}}}}, "high_open_level");
    require_rejected({{"stage", {{"calm_level", 0.7}}}}, "calm_level");
    require_rejected({{"agent_tone", {{"raised_voice_close_units", 3.0}}}}, "raised_voice_open_units");
  }
  SECTION("negative durations, one key at a time") {
    const char* durations[][2] = {
        {"baseline", "min_speech_s"},
        {"agitation", "min_speech_s"},
        {"baseline", "register_min_voiced_s"},
        {"agitation", "smoothing_speech_s"},
        {"agitation", "trend_window_speech_s"},
        {"agitation", "pace_speech_s"},
        {"agitation", "pace_min_syllables"},
        {"caller_agitation", "high_min_duration_s"},
        {"caller_agitation", "high_release_s"},
        {"caller_agitation", "high_cooldown_s"},
        {"caller_agitation", "rising_min_duration_s"},
        {"caller_agitation", "rising_release_s"},
        {"caller_agitation", "rising_cooldown_s"},
        {"turn_taking", "turn_pause_bridge_s"},
        {"turn_taking", "mid_turn_min_s"},
        {"turn_taking", "talking_now_s"},
        {"turn_taking", "backchannel_max_s"},
        {"turn_taking", "yield_within_s"},
        {"turn_taking", "yield_min_overlap_s"},
        {"turn_taking", "interruption_min_overlap_s"},
        {"turn_taking", "dead_air_s"},
        {"turn_taking", "monologue_s"},
        {"turn_taking", "floor_window_s"},
        {"agent_tone", "raised_voice_min_duration_s"},
        {"agent_tone", "raised_voice_release_s"},
        {"agent_tone", "raised_voice_cooldown_s"},
        {"agent_tone", "pace_min_duration_s"},
        {"agent_tone", "pace_release_s"},
        {"agent_tone", "pace_cooldown_s"},
        {"agent_tone", "monotone_window_s"},
        {"agent_tone", "monotone_min_duration_s"},
        {"agent_tone", "monotone_release_s"},
        {"agent_tone", "monotone_cooldown_s"},
        {"stage", "calm_hold_s"},
        {"stage", "venting_stall_s"},
    };
    for (const auto& [section, key] : durations) {
      INFO(section << "." << key << " = -1");
      DetectionConfig config;
      CHECK_THROWS_AS(apply_config_json({{section, {{key, -1.0}}}}, config), std::invalid_argument);
    }
  }
  SECTION("other out-of-range values") {
    require_rejected({{"agitation", {{"cusum_threshold", 0.0}}}}, "cusum_threshold");
    require_rejected({{"agitation", {{"cusum_reference", 1.5}}}}, "cusum_reference");
    require_rejected({{"agitation", {{"trend_window_speech_s", 500.0}}}}, "trend_window_speech_s");
    require_rejected({{"baseline", {{"learning_windows", 0}}}}, "learning_windows");
    require_rejected({{"baseline", {{"adaptation_scale_per_window", 1.5}}}}, "adaptation_scale_per_window");
    require_rejected({{"turn_taking", {{"floor_window_s", 120.0}}}}, "floor_window_s");
    require_rejected({{"agent_tone", {{"monotone_min_windows", 0}}}}, "monotone_min_windows");
    require_rejected({{"stage", {{"venting_caller_share", 1.5}}}}, "floor shares");
  }
}

TEST_CASE("load_config_file names the file and the problem", "[app][config]") {
  SECTION("a good file over the defaults") {
    const std::string path = temp_path("test_config_file_good.json");
    std::ofstream(path) << R"({"stage": {"calm_hold_s": 12}})";
    const DetectionConfig config = load_config_file(path);
    CHECK(config.stage.calm_hold_s == 12.0);
    CHECK(config.stage.venting_stall_s == DetectionConfig{}.stage.venting_stall_s);
    std::remove(path.c_str());
  }
  SECTION("missing") {
    const std::string path = temp_path("test_config_file_missing.json");
    std::remove(path.c_str());
    CHECK_THROWS_WITH(load_config_file(path), Catch::Contains(path) && Catch::Contains("cannot open"));
  }
  SECTION("not JSON") {
    const std::string path = temp_path("test_config_file_broken.json");
    std::ofstream(path) << R"({"stage": {"calm_hold_s": 12)";
    CHECK_THROWS_WITH(load_config_file(path), Catch::Contains(path) && Catch::Contains("not valid JSON"));
    std::remove(path.c_str());
  }
  SECTION("a bad key") {
    const std::string path = temp_path("test_config_file_typo.json");
    std::ofstream(path) << R"({"stage": {"calm_hold": 12}})";
    CHECK_THROWS_WITH(load_config_file(path), Catch::Contains(path) && Catch::Contains("stage.calm_hold"));
    std::remove(path.c_str());
  }
}
