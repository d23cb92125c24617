#include "tools/emodb_catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tw::tools {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  // labels.csv has no quoted fields (checked: no '"' in the file), so a plain
  // comma split is exact.
  std::vector<std::string> fields;
  std::string field;
  std::istringstream stream(line);
  while (std::getline(stream, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  for (auto& f : fields) {
    if (!f.empty() && f.back() == '\r') f.pop_back();
  }
  return fields;
}

double parse_number(const std::string& text, const std::string& where) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(where + ": '" + text + "' is not a number");
}

// A silb file lists "time label" per syllable onset; a final "time ." marks the
// end of speech. Labels are Latin-1 German syllables, which we never need.
void read_silb(const std::string& path, EmodbUtterance& u) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string time_text, label;
    if (!(fields >> time_text)) continue;
    fields >> label;
    const double time_s = parse_number(time_text, path + ":" + std::to_string(line_number));
    if (label == ".") {
      u.speech_end_s = time_s;
      break;
    }
    if (!u.speech_start_s) u.speech_start_s = time_s;
    u.syllable_onsets_s.push_back(time_s);
    ++u.syllables;
  }
  // Without a start or an end the file tells us nothing reliable: fall back to the file bounds.
  if (!u.speech_start_s || !u.speech_end_s || *u.speech_end_s <= *u.speech_start_s) {
    u.speech_start_s.reset();
    u.speech_end_s.reset();
    u.syllable_onsets_s.clear();
  }
}

}  // namespace

const char* emodb_emotion_name(char emotion_code) noexcept {
  switch (emotion_code) {
    case 'W': return "anger";
    case 'N': return "neutral";
    case 'F': return "happiness";
    case 'T': return "sadness";
    case 'L': return "boredom";
    case 'E': return "disgust";
    case 'A': return "fear";
    default: return nullptr;
  }
}

EmodbCatalog::EmodbCatalog(std::string dir) : dir_(std::move(dir)) {
  const std::string labels_path = dir_ + "/labels.csv";
  if (!std::filesystem::is_directory(dir_)) {
    throw std::runtime_error(dir_ + ": EmoDB folder not found (expected labels.csv, wav/ and silb/ in it)");
  }
  std::ifstream in(labels_path);
  if (!in) throw std::runtime_error(labels_path + ": cannot open the EmoDB label table");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(labels_path + ": empty file");
  const std::vector<std::string> header = split_csv_line(line);
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  const char* required[] = {"file",           "speaker", "sex",     "age",              "text_code",
                            "emotion_code",   "emotion", "arousal_group", "version",    "has_16k_original",
                            "dur_16k_original", "recognition_pct"};
  for (const char* name : required) {
    if (!column.contains(name)) throw std::runtime_error(labels_path + ": no column '" + name + "'");
  }

  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> fields = split_csv_line(line);
    const std::string where = labels_path + ":" + std::to_string(line_number);
    if (fields.size() != header.size()) {
      throw std::runtime_error(where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                               std::to_string(header.size()));
    }
    auto get = [&](const char* name) -> const std::string& { return fields[column.at(name)]; };
    EmodbUtterance u;
    u.file = get("file");
    u.speaker = get("speaker");
    u.sex = get("sex");
    u.age_years = static_cast<int>(parse_number(get("age"), where));
    u.text_code = get("text_code");
    if (get("emotion_code").size() != 1) throw std::runtime_error(where + ": emotion_code must be one letter");
    u.emotion_code = get("emotion_code")[0];
    u.emotion = get("emotion");
    u.arousal_group = get("arousal_group");
    u.version = get("version");
    u.recognition_pct = parse_number(get("recognition_pct"), where);
    u.has_audio = get("has_16k_original") == "1" && std::filesystem::exists(dir_ + "/wav/" + u.file);
    if (u.has_audio) u.duration_s = parse_number(get("dur_16k_original"), where);
    const std::string stem = u.file.substr(0, u.file.rfind('.'));
    read_silb(dir_ + "/silb/" + stem + ".silb", u);
    utterances_.push_back(std::move(u));
  }
  if (utterances_.empty()) throw std::runtime_error(labels_path + ": no utterances listed");
}

const EmodbUtterance* EmodbCatalog::find(const std::string& file) const noexcept {
  for (const auto& u : utterances_) {
    if (u.file == file) return &u;
  }
  return nullptr;
}

std::string EmodbCatalog::audio_path(const EmodbUtterance& utterance) const {
  if (utterance.file.find('/') != std::string::npos) return utterance.file;  // added with add_recording
  return dir_ + "/wav/" + utterance.file;
}

const EmodbUtterance& EmodbCatalog::add_recording(const std::string& path, const std::string& speaker_label) {
  if (const EmodbUtterance* known = find(path)) return *known;
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such recording");
  EmodbUtterance u;
  u.file = path;
  u.speaker = speaker_label;
  u.sex = "?";
  u.emotion_code = '?';
  u.emotion = "unknown";
  u.arousal_group = "unknown";
  u.has_audio = true;
  utterances_.push_back(std::move(u));
  return utterances_.back();
}

std::vector<const EmodbUtterance*> EmodbCatalog::select(const std::string& speaker, char emotion_code,
                                                        const std::string& text_code) const {
  std::vector<const EmodbUtterance*> matches;
  for (const auto& u : utterances_) {
    if (u.has_audio && u.speaker == speaker && u.emotion_code == emotion_code &&
        (text_code.empty() || u.text_code == text_code)) {
      matches.push_back(&u);
    }
  }
  // Best-recognised first: the clearest acted examples of the emotion make the
  // clearest test call. The name breaks ties so the order never depends on the CSV.
  std::stable_sort(matches.begin(), matches.end(), [](const EmodbUtterance* a, const EmodbUtterance* b) {
    if (a->recognition_pct != b->recognition_pct) return a->recognition_pct > b->recognition_pct;
    return a->file < b->file;
  });
  return matches;
}

}  // namespace tw::tools
