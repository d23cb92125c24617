#include "app/config_file.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "alerts/event.h"
#include "app/closest_name.h"
#include "detect/agent_tone_rules.h"

namespace tw::app {
namespace {

// Calls f(section, key, field) for every field; one table serves writing and reading.
template <class Config, class F>
void visit(Config& c, F&& f) {
  f("baseline", "min_speech_s", c.baseline.min_speech_s);
  f("baseline", "learning_windows", c.baseline.learning_windows);
  f("baseline", "prior_weight_windows", c.baseline.prior_weight_windows);
  f("baseline", "adaptation_scale_per_window", c.baseline.adaptation_scale_per_window);
  f("baseline", "register_min_voiced_s", c.baseline.register_min_voiced_s);
  f("baseline", "extreme_cue_units", c.baseline.extreme_cue_units);
  f("baseline", "extreme_mean_units", c.baseline.extreme_mean_units);

  f("agitation", "min_speech_s", c.agitation.min_speech_s);
  f("agitation", "smoothing_speech_s", c.agitation.smoothing_speech_s);
  f("agitation", "cusum_reference", c.agitation.cusum_reference);
  f("agitation", "cusum_reference_unestablished", c.agitation.cusum_reference_unestablished);
  f("agitation", "cusum_threshold", c.agitation.cusum_threshold);
  f("agitation", "trend_window_speech_s", c.agitation.trend_window_speech_s);
  f("agitation", "pace_speech_s", c.agitation.pace_speech_s);
  f("agitation", "pace_min_syllables", c.agitation.pace_min_syllables);

  f("caller_agitation", "high_open_level", c.caller.high_open_level);
  f("caller_agitation", "high_close_level", c.caller.high_close_level);
  f("caller_agitation", "high_min_duration_s", c.caller.high_timing.min_duration_s);
  f("caller_agitation", "high_release_s", c.caller.high_timing.release_s);
  f("caller_agitation", "high_cooldown_s", c.caller.high_timing.cooldown_s);
  f("caller_agitation", "rising_min_duration_s", c.caller.rising_timing.min_duration_s);
  f("caller_agitation", "rising_release_s", c.caller.rising_timing.release_s);
  f("caller_agitation", "rising_cooldown_s", c.caller.rising_timing.cooldown_s);

  f("turn_taking", "turn_pause_bridge_s", c.turns.turn_pause_bridge_s);
  f("turn_taking", "mid_turn_min_s", c.turns.mid_turn_min_s);
  f("turn_taking", "talking_now_s", c.turns.talking_now_s);
  f("turn_taking", "backchannel_max_s", c.turns.backchannel_max_s);
  f("turn_taking", "yield_within_s", c.turns.yield_within_s);
  f("turn_taking", "yield_min_overlap_s", c.turns.yield_min_overlap_s);
  f("turn_taking", "interruption_min_overlap_s", c.turns.interruption_min_overlap_s);
  f("turn_taking", "dead_air_s", c.turns.dead_air_s);
  f("turn_taking", "monologue_s", c.turns.monologue_s);
  f("turn_taking", "floor_window_s", c.turns.floor_window_s);

  f("agent_tone", "raised_voice_open_units", c.agent.raised_voice_open_units);
  f("agent_tone", "raised_voice_close_units", c.agent.raised_voice_close_units);
  f("agent_tone", "raised_voice_min_loudness_units", c.agent.raised_voice_min_loudness_units);
  f("agent_tone", "raised_voice_min_duration_s", c.agent.raised_voice_timing.min_duration_s);
  f("agent_tone", "raised_voice_release_s", c.agent.raised_voice_timing.release_s);
  f("agent_tone", "raised_voice_cooldown_s", c.agent.raised_voice_timing.cooldown_s);
  f("agent_tone", "raised_voice_while_learning", c.agent.raised_voice_while_learning);
  f("agent_tone", "pace_open_units", c.agent.pace_open_units);
  f("agent_tone", "pace_slow_open_units", c.agent.pace_slow_open_units);
  f("agent_tone", "pace_close_units", c.agent.pace_close_units);
  f("agent_tone", "pace_vs_caller_syl_per_s", c.agent.pace_vs_caller_syl_per_s);
  f("agent_tone", "pace_caller_windows", c.agent.pace_caller_windows);
  f("agent_tone", "pace_min_duration_s", c.agent.pace_timing.min_duration_s);
  f("agent_tone", "pace_release_s", c.agent.pace_timing.release_s);
  f("agent_tone", "pace_cooldown_s", c.agent.pace_timing.cooldown_s);
  f("agent_tone", "pace_recent_s", c.agent.pace_recent_s);
  f("agent_tone", "monotone_units", c.agent.monotone_units);
  f("agent_tone", "monotone_window_s", c.agent.monotone_window_s);
  f("agent_tone", "monotone_min_windows", c.agent.monotone_min_windows);
  f("agent_tone", "monotone_min_duration_s", c.agent.monotone_timing.min_duration_s);
  f("agent_tone", "monotone_release_s", c.agent.monotone_timing.release_s);
  f("agent_tone", "monotone_cooldown_s", c.agent.monotone_timing.cooldown_s);
  f("agent_tone", "require_established_baseline", c.agent.require_established_baseline);

  f("stage", "agitated_level", c.stage.agitated_level);
  f("stage", "agitated_level_unestablished", c.stage.agitated_level_unestablished);
  f("stage", "calm_level", c.stage.calm_level);
  f("stage", "calm_hold_s", c.stage.calm_hold_s);
  f("stage", "venting_caller_share", c.stage.venting_caller_share);
  f("stage", "agent_listening_share", c.stage.agent_listening_share);
  f("stage", "disarming_agent_share", c.stage.disarming_agent_share);
  f("stage", "venting_stall_s", c.stage.venting_stall_s);
}

// Constructing the detectors runs every config check they have.
void validate(const detect::DetectionConfig& c) {
  detect::EpisodeTracker high(c.caller.high_timing), rising(c.caller.rising_timing);
  detect::TurnTakingTracker turns(c.turns);
  detect::AgentToneRules agent(c.agent);
  detect::StageTracker stage(c.stage);
  if (!(c.caller.high_open_level > c.caller.high_close_level)) {
    throw std::invalid_argument("caller_agitation.high_open_level must exceed high_close_level");
  }
  detect::BaselinePrior prior;
  prior.scale.fill(1.0f);
  detect::SpeakerBaseline baseline(c.baseline, prior);
  // The agitation trackers need the model to be built; their checks run alone
  // here, so a bad value fails the config rather than every call.
  detect::AgitationTracker::validate(c.agitation);
}

// The double a person would write for a float: its shortest decimal form that reads
// back as the same float (0.35f is 0.3499999940395355 as a double, and JSON would
// print all of that). Reading the file parses 0.35 and rounds it to the same float.
double as_written(float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::strtod(std::string(text, result.ptr).c_str(), nullptr);
}

}  // namespace

nlohmann::json config_to_json(const detect::DetectionConfig& config) {
  nlohmann::json json = nlohmann::json::object();
  detect::DetectionConfig copy = config;
  visit(copy, [&](const char* section, const char* key, auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, float>) {
      json[section][key] = as_written(field);
    } else {
      json[section][key] = field;
    }
  });
  return json;
}

void apply_config_json(const nlohmann::json& json, detect::DetectionConfig& config) {
  if (!json.is_object()) throw std::invalid_argument("the config must be a JSON object of sections");
  const nlohmann::json defaults = config_to_json(config);
  // A typo gets a "did you mean" (the nearest section, or the nearest section.key
  // name), as a misspelt command does: a key that silently kept its default would
  // be worse than no config file.
  std::vector<std::string> section_names, key_names;
  for (const auto& [section, keys] : defaults.items()) {
    section_names.push_back(section);
    for (const auto& [key, value] : keys.items()) key_names.push_back(section + "." + key);
  }
  const auto suggestion = [](const std::string& closest) {
    return closest.empty() ? std::string() : " (did you mean '" + closest + "'?)";
  };
  for (const auto& [section, keys] : json.items()) {
    if (!defaults.contains(section)) {
      throw std::invalid_argument("unknown section '" + section + "'" + suggestion(closest_name(section, section_names)));
    }
    if (!keys.is_object()) throw std::invalid_argument("section '" + section + "' must be an object");
    for (const auto& [key, value] : keys.items()) {
      if (!defaults[section].contains(key)) {
        const std::string name = section + "." + key;
        std::string closest = closest_name(name, key_names);
        for (const std::string& known : key_names) {  // the same key under another section
          if (closest.empty() && known.size() > key.size() && known.ends_with("." + key)) closest = known;
        }
        throw std::invalid_argument("unknown key '" + name + "'" + suggestion(closest));
      }
    }
  }
  // Work on a copy: a file that fails half way leaves the caller's config as it was.
  detect::DetectionConfig updated = config;
  visit(updated, [&](const char* section, const char* key, auto& field) {
    if (!json.contains(section) || !json[section].contains(key)) return;
    const nlohmann::json& value = json[section][key];
    using T = std::decay_t<decltype(field)>;
    const std::string name = std::string(section) + "." + key;
    if constexpr (std::is_same_v<T, bool>) {
      if (!value.is_boolean()) throw std::invalid_argument(name + " must be true or false");
      field = value.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      // An unsigned JSON number above INT64_MAX reads back negative through get<int64_t>.
      const bool whole = value.is_number_integer() && !(value.is_number_unsigned() &&
                                                        value.get<std::uint64_t>() > static_cast<std::uint64_t>(
                                                                                         std::numeric_limits<std::int64_t>::max()));
      if (!whole || value.get<std::int64_t>() < 0) throw std::invalid_argument(name + " must be a whole number >= 0");
      if (static_cast<std::uint64_t>(value.get<std::int64_t>()) >
          static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        throw std::invalid_argument(name + " is too large (at most " + std::to_string(std::numeric_limits<T>::max()) +
                                    ")");
      }
      field = value.get<T>();
    } else {
      if (!value.is_number()) throw std::invalid_argument(name + " must be a number");
      // JSON numbers are doubles; the field may be narrower. 1e308 fits a double
      // but becomes infinity in a float, which no threshold means.
      const double number = value.get<double>();
      if (!std::isfinite(number) || std::fabs(number) > static_cast<double>(std::numeric_limits<T>::max())) {
        char limit[32];
        std::snprintf(limit, sizeof limit, "%.4g", static_cast<double>(std::numeric_limits<T>::max()));
        throw std::invalid_argument(name + " = " + value.dump() + " is out of range (at most " + limit +
                                    " in magnitude)");
      }
      field = static_cast<T>(number);
    }
  });
  // The detectors' own checks name the rule; say which section it came from.
  try {
    validate(updated);
  } catch (const std::invalid_argument& e) {
    std::string sections;
    for (const auto& [section, keys] : json.items()) sections += (sections.empty() ? "" : ", ") + section;
    throw std::invalid_argument(std::string(e.what()) + " (in section" + (json.size() > 1 ? "s " : " ") + sections + ")");
  }
  config = updated;
}

detect::DetectionConfig load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open config file: " + std::strerror(errno));
  detect::DetectionConfig config;
  try {
    apply_config_json(nlohmann::json::parse(in), config);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": not valid JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  return config;
}

}  // namespace tw::app
