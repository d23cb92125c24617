#include "tools/call_script.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tools/emodb_catalog.h"

namespace tw::tools {
namespace {

using nlohmann::json;

class ScriptError : public std::runtime_error {
 public:
  ScriptError(const std::string& where, const std::string& what) : std::runtime_error(where + ": " + what) {}
};

std::string join(const std::string& where, const std::string& key) { return where.empty() ? key : where + "." + key; }

// Shows a value as the user wrote it, shortened so a message stays one line.
std::string shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// Every object key must be known: a typo ("gain" for "gain_db") silently
// ignored would compose a different call than the author meant.
void check_keys(const json& object, const std::string& where, const std::set<std::string>& known,
                const std::string& what) {
  for (const auto& [key, value] : object.items()) {
    if (known.contains(key)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw ScriptError(join(where, key), "unknown key in " + what + " (known: " + list + ")");
  }
}

double number_in(const json& object, const std::string& key, const std::string& where, double fallback, double low,
                 double high, const char* unit) {
  if (!object.contains(key)) return fallback;
  const json& value = object.at(key);
  const std::string path = join(where, key);
  if (!value.is_number()) throw ScriptError(path, "expected a number, got " + shown(value));
  const double x = value.get<double>();
  if (!std::isfinite(x) || x < low || x > high) {
    std::ostringstream range;
    range << shown(value) << " is out of range [" << low << ", " << high << "]" << unit;
    throw ScriptError(path, range.str());
  }
  return x;
}

std::string string_in(const json& object, const std::string& key, const std::string& where, std::string fallback) {
  if (!object.contains(key)) return fallback;
  const json& value = object.at(key);
  if (!value.is_string()) {
    throw ScriptError(join(where, key), "expected a string, got " + shown(value));
  }
  return value.get<std::string>();
}

// Accepts "W" or "anger" (any EmoDB emotion), so scripts read either way.
char parse_emotion(const json& value, const std::string& where) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    for (const char code : std::string("WNFTLEA")) {
      if (text == std::string(1, code) || text == emodb_emotion_name(code)) return code;
    }
  }
  throw ScriptError(where, "expected an EmoDB emotion letter or name (W anger, N neutral, F happiness, T sadness, "
                           "L boredom, E disgust, A fear), got " + shown(value));
}

std::string parse_speaker(const json& value, const std::string& where) {
  if (value.is_number_unsigned() && value.get<unsigned>() < 100) {
    const unsigned id = value.get<unsigned>();
    return std::string(1, static_cast<char>('0' + id / 10)) + static_cast<char>('0' + id % 10);
  }
  if (value.is_string()) {
    const std::string id = value.get<std::string>();
    if (id.size() == 2 && std::isdigit(static_cast<unsigned char>(id[0])) &&
        std::isdigit(static_cast<unsigned char>(id[1]))) {
      return id;
    }
  }
  throw ScriptError(where, "expected a two-digit EmoDB speaker id such as \"03\", got " + shown(value));
}

UtteranceSpec parse_utterance(const json& value, const std::string& where) {
  UtteranceSpec spec;
  if (value.is_string()) {
    spec.file = value.get<std::string>();
    if (spec.file.empty()) throw ScriptError(where, "empty file name");
    return spec;
  }
  if (!value.is_object()) {
    throw ScriptError(where, "expected an EmoDB file name (\"03a01Wa.wav\") or a selector "
                             "({\"speaker\": \"03\", \"emotion\": \"W\"}), got " + shown(value));
  }
  check_keys(value, where, {"file", "speaker", "emotion", "text", "syllables"}, "an utterance");
  spec.syllables = static_cast<int>(number_in(value, "syllables", where, 0.0, 0.0, 100.0, ""));
  if (value.contains("syllables") && spec.syllables != value.at("syllables").get<double>()) {
    throw ScriptError(where + ".syllables", "must be a whole number");
  }
  if (value.contains("file")) {
    if (value.size() != (value.contains("syllables") ? 2u : 1u)) {
      throw ScriptError(where, "give either \"file\" or a selector (speaker, emotion, text), not both");
    }
    spec.file = string_in(value, "file", where, "");
    if (spec.file.empty()) throw ScriptError(where + ".file", "empty file name");
    return spec;
  }
  if (!value.contains("speaker")) throw ScriptError(where, "a selector needs \"speaker\"");
  if (!value.contains("emotion")) throw ScriptError(where, "a selector needs \"emotion\"");
  spec.speaker = parse_speaker(value.at("speaker"), where + ".speaker");
  spec.emotion_code = parse_emotion(value.at("emotion"), where + ".emotion");
  spec.text_code = string_in(value, "text", where, "");
  return spec;
}

TurnSpec parse_turn(const json& value, const std::string& where, double default_pause_s) {
  check_keys(value, where,
             {"role", "utterances", "gap_s", "pause_s", "gain_db", "label", "stage", "tempo", "cut_after_s", "monotone"},
             "a turn");
  TurnSpec turn;
  const json& role = value.at("role");
  const auto parsed_role = role.is_string() ? features::parse_speaker_role(role.get<std::string>()) : std::nullopt;
  if (!parsed_role) throw ScriptError(where + ".role", "expected \"caller\" or \"agent\", got " + shown(role));
  turn.role = *parsed_role;
  if (!value.contains("utterances")) throw ScriptError(where, "a turn needs \"utterances\"");
  const json& utterances = value.at("utterances");
  if (!utterances.is_array() || utterances.empty()) {
    throw ScriptError(where + ".utterances", "expected a non-empty list, got " + shown(utterances));
  }
  for (std::size_t k = 0; k < utterances.size(); ++k) {
    turn.utterances.push_back(parse_utterance(utterances[k], where + ".utterances[" + std::to_string(k) + "]"));
  }
  turn.gap_s = number_in(value, "gap_s", where, 0.5, -30.0, 600.0, " s");
  turn.pause_s = number_in(value, "pause_s", where, default_pause_s, 0.0, 30.0, " s");
  turn.gain_db = number_in(value, "gain_db", where, 0.0, -40.0, 20.0, " dB");
  turn.tempo = number_in(value, "tempo", where, 1.0, 0.5, 2.0, "");
  turn.cut_after_s = number_in(value, "cut_after_s", where, 0.0, 0.0, 600.0, " s");
  if (value.contains("monotone")) {
    if (!value.at("monotone").is_boolean()) throw ScriptError(where + ".monotone", "expected true or false");
    turn.monotone = value.at("monotone").get<bool>();
  }
  turn.label = string_in(value, "label", where, "");
  turn.stage = string_in(value, "stage", where, "");
  return turn;
}

SilenceSpec parse_silence(const json& value, const std::string& where) {
  check_keys(value, where, {"silence_s", "label"}, "a silence");
  SilenceSpec silence;
  silence.duration_s = number_in(value, "silence_s", where, 0.0, 0.0, 600.0, " s");
  silence.label = string_in(value, "label", where, "");
  return silence;
}

}  // namespace

CallScript parse_call_script(const std::string& json_text, const std::string& source_name) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(source_name + ": not valid JSON: " + e.what());
  }
  try {
    if (!root.is_object()) throw ScriptError("(top level)", "expected a JSON object, got " + shown(root));
    check_keys(root, "",
               {"description", "emodb_dir", "sample_rate_hz", "noise_floor_dbfs", "speech_level_dbfs", "seed",
                "tail_s", "pause_s", "band", "turns"},
               "the script");
    CallScript script;
    script.description = string_in(root, "description", "", "");
    script.emodb_dir = string_in(root, "emodb_dir", "", script.emodb_dir);
    const double rate = number_in(root, "sample_rate_hz", "", 8000.0, 8000.0, 48000.0, " Hz");
    if (rate != std::floor(rate)) throw ScriptError("sample_rate_hz", "must be a whole number of Hz");
    script.sample_rate_hz = static_cast<int>(rate);
    script.noise_floor_dbfs = number_in(root, "noise_floor_dbfs", "", script.noise_floor_dbfs, -120.0, -20.0, " dBFS");
    script.speech_level_dbfs =
        number_in(root, "speech_level_dbfs", "", script.speech_level_dbfs, -50.0, -6.0, " dBFS");
    if (root.contains("seed")) {
      if (!root.at("seed").is_number_unsigned()) {
        throw ScriptError("seed", "expected a non-negative integer, got " + shown(root.at("seed")));
      }
      script.seed = root.at("seed").get<std::uint64_t>();
    }
    script.tail_s = number_in(root, "tail_s", "", script.tail_s, 0.0, 60.0, " s");
    script.band = string_in(root, "band", "", script.band);
    if (script.band != "telephone" && script.band != "steep" && script.band != "none") {
      throw ScriptError("band", "expected \"telephone\", \"steep\" or \"none\", got \"" + script.band + "\"");
    }
    const double default_pause_s = number_in(root, "pause_s", "", 0.35, 0.0, 30.0, " s");

    if (!root.contains("turns")) throw ScriptError("turns", "missing: the script needs a list of turns");
    const json& turns = root.at("turns");
    if (!turns.is_array() || turns.empty()) throw ScriptError("turns", "expected a non-empty list, got " + shown(turns));
    for (std::size_t i = 0; i < turns.size(); ++i) {
      const std::string where = "turns[" + std::to_string(i) + "]";
      const json& entry = turns[i];
      if (!entry.is_object()) throw ScriptError(where, "expected an object, got " + shown(entry));
      if (entry.contains("silence_s")) {
        script.entries.emplace_back(parse_silence(entry, where));
      } else if (entry.contains("role")) {
        script.entries.emplace_back(parse_turn(entry, where, default_pause_s));
      } else {
        throw ScriptError(where, "expected a turn (with \"role\" and \"utterances\") or a silence (with \"silence_s\")");
      }
    }
    return script;
  } catch (const ScriptError& e) {
    throw std::runtime_error(source_name + ": " + e.what());
  }
}

CallScript load_call_script(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the call script");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_call_script(text.str(), path);
}

}  // namespace tw::tools
