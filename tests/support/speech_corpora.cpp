#include "support/speech_corpora.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "support/shared_data.h"

namespace tw::test {
namespace {
namespace fs = std::filesystem;

constexpr double kTimitRateHz = 16000.0;

bool is_timit_vowel(const std::string& phone) {
  static const std::set<std::string> kVowels = {"iy", "ih", "eh", "ey", "ae", "aa",  "aw", "ay", "ah", "ao",
                                                "oy", "ow", "uh", "uw", "ux", "er",  "ax", "ix", "axr", "ax-h"};
  return kVowels.count(phone) != 0;
}

// Silence labels of TIMIT: h# at the edges, pau inside; epi (epenthetic
// silence, ~40 ms inside words) and stop closures are part of articulation.
bool is_timit_pause(const std::string& phone) { return phone == "h#" || phone == "pau"; }

std::ifstream open_or_fail(const std::string& path) {
  std::ifstream in(path);
  if (!in) FAIL("cannot read " << path);
  return in;
}

Utterance read_timit(const fs::path& phn, const std::string& speaker) {
  Utterance u;
  u.corpus = "timit";
  u.speaker = speaker;
  u.name = speaker + "/" + phn.stem().string();
  u.wav_path = fs::path(phn).replace_extension(".wav").string();
  std::ifstream in = open_or_fail(phn.string());
  long start = 0, end = 0;
  std::string phone;
  bool any_speech = false;
  double pauses_inside_s = 0.0, pending_pause_s = 0.0;
  while (in >> start >> end >> phone) {
    const double duration_s = (end - start) / kTimitRateHz;
    if (is_timit_pause(phone)) {
      if (any_speech) pending_pause_s += duration_s;  // counts only if speech follows
      continue;
    }
    if (!any_speech) u.speech_start_s = start / kTimitRateHz;
    any_speech = true;
    pauses_inside_s += pending_pause_s;
    pending_pause_s = 0.0;
    u.speech_end_s = end / kTimitRateHz;
    if (is_timit_vowel(phone)) ++u.syllables;
  }
  if (!any_speech || !fs::exists(u.wav_path)) FAIL("incomplete TIMIT utterance " << phn);
  u.speech_s = u.speech_end_s - u.speech_start_s - pauses_inside_s;
  return u;
}

// Empty when the recording has no syllable labels (13a01Wb's .silb file is empty).
std::optional<Utterance> read_emodb(const fs::path& wav, const fs::path& silb_dir) {
  Utterance u;
  u.corpus = "emodb";
  u.name = wav.stem().string();
  u.speaker = u.name.substr(0, 2);
  u.wav_path = wav.string();
  const fs::path silb = silb_dir / (u.name + ".silb");
  if (fs::file_size(silb) == 0) return std::nullopt;
  std::ifstream in = open_or_fail(silb.string());
  std::string line;
  bool ended = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    double time_s = 0.0;
    std::string label;
    if (!(fields >> time_s >> label)) continue;
    if (label == ".") {
      u.speech_end_s = time_s;
      ended = true;
      break;
    }
    if (u.syllables++ == 0) u.speech_start_s = time_s;
  }
  if (!ended || u.syllables == 0) FAIL("EmoDB syllable file without syllables or end mark: " << silb);
  u.speech_s = u.speech_end_s - u.speech_start_s;
  return u;
}

bool by_name(const Utterance& a, const Utterance& b) { return a.name < b.name; }
}  // namespace

std::vector<Utterance> timit_utterances() {
  const fs::path root = shared_data_path("timit_sample");
  std::vector<Utterance> all;
  for (const auto& speaker_dir : fs::directory_iterator(root)) {
    if (!speaker_dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(speaker_dir.path())) {
      if (file.path().extension() == ".phn") all.push_back(read_timit(file.path(), speaker_dir.path().filename().string()));
    }
  }
  std::sort(all.begin(), all.end(), by_name);
  if (all.size() != 80) FAIL("expected the 80 TIMIT sample sentences in " << root << ", found " << all.size());
  return all;
}

std::vector<Utterance> emodb_utterances() {
  const fs::path wav_dir = shared_data_path("emodb/wav");
  const fs::path silb_dir = shared_data_path("emodb/silb");
  std::vector<Utterance> all;
  std::size_t recordings = 0;
  for (const auto& file : fs::directory_iterator(wav_dir)) {
    if (file.path().extension() != ".wav") continue;
    ++recordings;
    if (auto u = read_emodb(file.path(), silb_dir)) all.push_back(std::move(*u));
  }
  std::sort(all.begin(), all.end(), by_name);
  if (recordings != 339 || all.size() != 338) {
    FAIL("expected the 339 EmoDB recordings in " << wav_dir << ", 338 of them with syllable labels; found "
                                                << recordings << " and " << all.size());
  }
  return all;
}

std::vector<Utterance> spread_subset(const std::vector<Utterance>& all, std::size_t count) {
  std::map<std::string, std::vector<const Utterance*>> by_speaker;
  for (const Utterance& u : all) by_speaker[u.speaker].push_back(&u);
  // Shares dealt round-robin over the speakers in name order, skipping those
  // with nothing left, so a speaker with few utterances leaves its share to the others.
  std::map<std::string, std::size_t> share;
  for (std::size_t dealt = 0; dealt < std::min(count, all.size());) {
    for (const auto& [speaker, list] : by_speaker) {
      if (dealt == count) break;
      if (share[speaker] < list.size()) {
        ++share[speaker];
        ++dealt;
      }
    }
  }
  std::vector<Utterance> subset;
  for (auto& [speaker, list] : by_speaker) {
    std::sort(list.begin(), list.end(), [](const Utterance* a, const Utterance* b) { return by_name(*a, *b); });
    const std::size_t n = share[speaker];
    // Centre of the i-th of n equal parts of the speaker's list.
    for (std::size_t i = 0; i < n; ++i) subset.push_back(*list[(2 * i + 1) * list.size() / (2 * n)]);
  }
  std::sort(subset.begin(), subset.end(), by_name);
  return subset;
}

double pearson(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  double mean_x = 0.0, mean_y = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_x += x[i];
    mean_y += y[i];
  }
  mean_x /= n;
  mean_y /= n;
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
  }
  if (sxx <= 0.0 || syy <= 0.0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

double full_scale_step_fraction(std::span<const float> samples) {
  if (samples.size() < 2) return 0.0;
  std::size_t steps = 0;
  for (std::size_t i = 1; i < samples.size(); ++i) steps += std::abs(samples[i] - samples[i - 1]) > 1.0f ? 1 : 0;
  return static_cast<double>(steps) / static_cast<double>(samples.size() - 1);
}

bool looks_damaged(std::span<const float> samples) { return full_scale_step_fraction(samples) > kDamagedStepFraction; }

double mean_absolute_error(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::abs(x[i] - y[i]);
  return sum / n;
}

}  // namespace tw::test
