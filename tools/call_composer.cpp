#include "tools/call_composer.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/resampling_source.h"
#include "tools/line_conditions.h"
#include "tools/monotone_voice.h"
#include "tools/run_program.h"
#include "tools/telephone_line.h"

namespace tw::tools {
namespace {

using features::SpeakerRole;

// Audio kept around the labelled speech: enough for a word-initial consonant
// before the first syllable onset and a release after the end mark, short
// enough that EmoDB's own room tone does not stand in for the line noise.
constexpr double kMarginBeforeS = 0.10;
constexpr double kMarginAfterS = 0.15;
// Raised-cosine fades at the cut points, so trimming adds no clicks.
constexpr double kFadeS = 0.01;
// Highest sample peak an utterance may reach after its gain: the line noise and
// G.711 quantisation still need a little room below full scale.
constexpr double kMaxPeakDbfs = -0.3;

}  // namespace

// An utterance ready to be placed: band-limited, trimmed, unit gain.
struct PreparedUtterance {
  std::vector<float> samples;
  std::int64_t speech_start = 0;  // samples into `samples`
  std::int64_t speech_end = 0;
  double level_dbfs = kNoSpeechLevelDbfs;
  double peak = 0.0;
};

struct UtteranceCache::Impl {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const PreparedUtterance>> entries;
};

UtteranceCache::UtteranceCache() : impl_(std::make_unique<Impl>()) {}
UtteranceCache::~UtteranceCache() = default;

namespace {

// How an utterance is to be prepared: its cache key holds all of it.
struct Preparation {
  int syllables = 0;
  double tempo = 1.0;
  bool monotone = false;
  std::string band = "telephone";
  std::string key(const std::string& file, int rate_hz) const {
    std::ostringstream k;
    k << file << "|" << rate_hz << "|" << syllables << "|" << tempo << "|" << monotone << "|" << band;
    return k.str();
  }
};

std::string utterance_path(std::size_t turn, std::size_t k) {
  return "turns[" + std::to_string(turn) + "].utterances[" + std::to_string(k) + "]";
}

double to_db(double amplitude) { return amplitude > 0.0 ? 20.0 * std::log10(amplitude) : -200.0; }

// Time-scaled audio with the pitch kept: sox's tempo effect (WSOLA), from the
// original recording, into a scratch file.
std::vector<float> load_with_tempo(const std::string& path, int rate_hz, double tempo) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path scratch = std::filesystem::temp_directory_path();
  const std::string out = (scratch / ("tonewatch-tempo-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(counter++) + ".wav"))
                              .string();
  std::ostringstream factor;
  factor << tempo;
  run_sox({"-V1", "-R", path, out, "tempo", "-s", factor.str()}, scratch.string());
  std::vector<float> audio = io::load_channel(out, rate_hz, 0);
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  return audio;
}

PreparedUtterance prepare(const EmodbCatalog& catalog, const EmodbUtterance& u, int rate_hz, const Preparation& how) {
  // load_channel resamples with libsoxr (linear phase, delay compensated), so
  // the silb times of the 16 kHz original stay valid at the new rate; tempo
  // scales them by 1 / tempo.
  std::vector<float> x = how.tempo == 1.0 ? io::load_channel(catalog.audio_path(u), rate_hz, 0)
                                          : load_with_tempo(catalog.audio_path(u), rate_hz, how.tempo);
  if (x.empty()) throw std::runtime_error(catalog.audio_path(u) + ": no audio");
  if (how.monotone) x = monotone_voice(x, rate_hz);
  if (how.band == "telephone") {
    TelephoneBandFilter band(rate_hz);
    band.process(x);
  } else if (how.band == "steep") {
    x = steep_telephone_band(x, rate_hz);
  }

  const auto length = static_cast<std::int64_t>(x.size());
  auto at = [&](double t_s) { return std::clamp<std::int64_t>(std::llround(t_s / how.tempo * rate_hz), 0, length); };
  std::int64_t start = u.speech_start_s ? at(*u.speech_start_s) : 0;
  std::int64_t end = u.speech_end_s ? at(*u.speech_end_s) : length;
  // A token of the first few syllables ends where the next syllable begins.
  const bool token = how.syllables > 0 && static_cast<std::size_t>(how.syllables) < u.syllable_onsets_s.size();
  if (token) end = at(u.syllable_onsets_s[static_cast<std::size_t>(how.syllables)]);
  if (end <= start) {
    start = 0;
    end = length;
  }
  const std::int64_t first = std::max<std::int64_t>(0, start - std::llround(kMarginBeforeS * rate_hz));
  const std::int64_t last =
      std::min<std::int64_t>(length, end + (token ? 0 : std::llround(kMarginAfterS * rate_hz)));

  PreparedUtterance p;
  p.samples.assign(x.begin() + first, x.begin() + last);
  p.speech_start = start - first;
  p.speech_end = end - first;
  const auto fade = std::min<std::size_t>(static_cast<std::size_t>(kFadeS * rate_hz), p.samples.size() / 2);
  for (std::size_t i = 0; i < fade; ++i) {
    const auto w = static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * (i + 0.5) / fade));
    p.samples[i] *= w;
    p.samples[p.samples.size() - 1 - i] *= w;
  }
  p.level_dbfs = active_speech_level_dbfs(p.samples, rate_hz);
  for (const float s : p.samples) p.peak = std::max(p.peak, static_cast<double>(std::abs(s)));
  return p;
}

// The utterance cut off `keep` samples into its speech (a speaker giving way
// mid-word), with a fade at the cut.
PreparedUtterance cut_short(const PreparedUtterance& p, std::int64_t keep, int rate_hz) {
  PreparedUtterance c = p;
  const std::int64_t end = std::clamp<std::int64_t>(p.speech_start + keep, 0, static_cast<std::int64_t>(p.samples.size()));
  c.samples.resize(static_cast<std::size_t>(end));
  c.speech_end = end;
  const auto fade = std::min<std::size_t>(static_cast<std::size_t>(kFadeS * rate_hz), c.samples.size());
  for (std::size_t i = 0; i < fade; ++i) {
    c.samples[c.samples.size() - 1 - i] *= static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * (i + 0.5) / fade));
  }
  return c;
}

// Adds `segment` * gain into `channel` starting at sample `offset` (may be
// negative: the part before the call start is dropped), growing the channel.
void mix_into(std::vector<float>& channel, const std::vector<float>& segment, std::int64_t offset, float gain) {
  const std::int64_t end = offset + static_cast<std::int64_t>(segment.size());
  if (end > static_cast<std::int64_t>(channel.size())) channel.resize(static_cast<std::size_t>(end), 0.0f);
  for (std::int64_t i = std::max<std::int64_t>(0, -offset); i < static_cast<std::int64_t>(segment.size()); ++i) {
    channel[static_cast<std::size_t>(offset + i)] += gain * segment[static_cast<std::size_t>(i)];
  }
}

std::string seconds(std::int64_t samples, int rate_hz) {
  std::ostringstream text;
  text.precision(3);
  text << std::fixed << static_cast<double>(samples) / rate_hz << " s";
  return text.str();
}

const EmodbUtterance& resolve(const UtteranceSpec& spec, const EmodbCatalog& catalog, std::set<std::string>& used,
                              const std::string& where) {
  if (!spec.is_selector()) {
    std::string file = spec.file;
    if (file.find('.') == std::string::npos) file += ".wav";
    const EmodbUtterance* u = catalog.find(file);
    if (u == nullptr) {
      throw std::runtime_error(where + ": '" + spec.file + "' is not an EmoDB file (not listed in " + catalog.dir() +
                               "/labels.csv)");
    }
    if (!u->has_audio) {
      throw std::runtime_error(where + ": '" + spec.file + "' is listed in labels.csv but missing from " +
                               catalog.dir() + "/wav/");
    }
    used.insert(u->file);
    return *u;
  }
  const auto candidates = catalog.select(spec.speaker, spec.emotion_code, spec.text_code);
  if (candidates.empty()) {
    throw std::runtime_error(where + ": no EmoDB recording of speaker " + spec.speaker + " with emotion " +
                             spec.emotion_code + " (" + emodb_emotion_name(spec.emotion_code) + ")" +
                             (spec.text_code.empty() ? "" : " and text " + spec.text_code) + " in " + catalog.dir() +
                             "/wav/");
  }
  // Deterministic: the best-recognised recording the call has not used yet;
  // once all are used, they come round again in the same order.
  for (const EmodbUtterance* u : candidates) {
    if (!used.contains(u->file)) {
      used.insert(u->file);
      return *u;
    }
  }
  return *candidates.front();
}

double rounded(double x) { return std::round(x * 1e4) / 1e4; }

}  // namespace

ComposedCall compose_call(const CallScript& script, const EmodbCatalog& catalog, UtteranceCache* cache) {
  const int rate_hz = script.sample_rate_hz;
  const auto samples_of = [rate_hz](double t_s) { return static_cast<std::int64_t>(std::llround(t_s * rate_hz)); };

  // Resolve every name first, so a typo fails before any audio is decoded.
  std::vector<std::vector<const EmodbUtterance*>> chosen(script.entries.size());
  std::set<std::string> used;
  for (std::size_t i = 0; i < script.entries.size(); ++i) {
    if (const auto* turn = std::get_if<TurnSpec>(&script.entries[i])) {
      for (std::size_t k = 0; k < turn->utterances.size(); ++k) {
        chosen[i].push_back(&resolve(turn->utterances[k], catalog, used, utterance_path(i, k)));
      }
    }
  }
  // Prepared once per (file, preparation); shared across calls through `cache`.
  UtteranceCache local;
  UtteranceCache::Impl& store = *(cache != nullptr ? cache : &local)->impl_;
  std::vector<std::vector<std::shared_ptr<const PreparedUtterance>>> prepared(chosen.size());
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const auto* turn = std::get_if<TurnSpec>(&script.entries[i]);
    for (std::size_t k = 0; k < chosen[i].size(); ++k) {
      const EmodbUtterance& u = *chosen[i][k];
      Preparation how;
      how.syllables = turn->utterances[k].syllables;
      how.tempo = turn->tempo;
      how.monotone = turn->monotone;
      how.band = script.band;
      const std::string key = how.key(u.file, rate_hz);
      std::shared_ptr<const PreparedUtterance> p;
      {
        std::lock_guard<std::mutex> lock(store.mutex);
        const auto found = store.entries.find(key);
        if (found != store.entries.end()) p = found->second;
      }
      if (!p) {
        try {
          p = std::make_shared<const PreparedUtterance>(prepare(catalog, u, rate_hz, how));
        } catch (const std::exception& e) {
          throw std::runtime_error(utterance_path(i, k) + " (" + u.file + "): " + e.what());
        }
        std::lock_guard<std::mutex> lock(store.mutex);
        p = store.entries.emplace(key, p).first->second;
      }
      if (p->level_dbfs <= kNoSpeechLevelDbfs) {
        throw std::runtime_error(utterance_path(i, k) + " (" + u.file + "): no speech found in the recording");
      }
      prepared[i].push_back(std::move(p));
    }
  }

  ComposedCall call;
  CallTruth& truth = call.truth;
  truth.sample_rate_hz = rate_hz;
  truth.speech_level_dbfs = script.speech_level_dbfs;
  truth.noise_floor_dbfs = script.noise_floor_dbfs;
  truth.seed = script.seed;
  std::vector<float> channels[ComposedCall::kChannels];

  // The timeline is kept in samples so the truth matches the audio exactly.
  std::int64_t cursor = 0;      // where the next gap_s counts from
  std::int64_t latest_end = 0;  // end of the speech so far
  // Indices into truth.turns / truth.silences; kNone when there is none. (Plain
  // indices rather than std::optional: g++ 12 warns falsely on optional<size_t>.)
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t latest_turn = kNone;   // the turn ending at latest_end
  std::size_t open_silence = kNone;  // a silence waiting for the next turn to end it
  std::int64_t role_end[ComposedCall::kChannels] = {-1, -1};
  for (std::size_t i = 0; i < script.entries.size(); ++i) {
    const std::string where = "turns[" + std::to_string(i) + "]";
    if (const auto* silence = std::get_if<SilenceSpec>(&script.entries[i])) {
      if (open_silence == kNone) {
        open_silence = truth.silences.size();
        truth.silences.push_back({i, static_cast<double>(cursor) / rate_hz, 0.0, silence->label});
      }
      cursor += samples_of(silence->duration_s);
      continue;
    }
    const auto& turn = std::get<TurnSpec>(script.entries[i]);
    const int channel = channel_of(turn.role);
    const std::int64_t gap = samples_of(turn.gap_s);
    const std::int64_t start = cursor + gap;
    const TurnTruth* interrupted = nullptr;
    if (gap < 0) {
      if (open_silence != kNone) {
        throw std::runtime_error(where + ".gap_s: negative right after a silence: there is no speech to interrupt");
      }
      if (latest_turn == kNone) throw std::runtime_error(where + ".gap_s: the first turn cannot start before the call does");
      interrupted = &truth.turns[latest_turn];
      if (interrupted->role == turn.role) {
        throw std::runtime_error(where + ".gap_s: negative, but the turn it would overlap (turns[" +
                                 std::to_string(interrupted->turn) + "]) is also the " +
                                 std::string(to_string(turn.role)) + "'s: a speaker cannot interrupt themselves");
      }
      if (start < samples_of(interrupted->start_s)) {
        throw std::runtime_error(where + ".gap_s: " + seconds(gap, rate_hz) + " would start before turns[" +
                                 std::to_string(interrupted->turn) + "] begins (it lasts " +
                                 seconds(samples_of(interrupted->end_s - interrupted->start_s), rate_hz) + ")");
      }
    }
    if (role_end[channel] >= 0 && start < role_end[channel]) {
      throw std::runtime_error(where + ": would start at " + seconds(start, rate_hz) + ", while the " +
                               std::string(to_string(turn.role)) + " is still speaking in an earlier turn (until " +
                               seconds(role_end[channel], rate_hz) + "); increase gap_s");
    }

    std::int64_t t = start;
    const std::int64_t cut = turn.cut_after_s > 0.0 ? start + samples_of(turn.cut_after_s) : -1;
    for (std::size_t k = 0; k < chosen[i].size(); ++k) {
      if (cut >= 0 && t >= cut) break;  // the speaker gave way before this utterance
      const EmodbUtterance& source = *chosen[i][k];
      std::optional<PreparedUtterance> shortened;
      if (cut >= 0 && t + (prepared[i][k]->speech_end - prepared[i][k]->speech_start) > cut) {
        shortened = cut_short(*prepared[i][k], cut - t, rate_hz);
      }
      const PreparedUtterance& p = shortened ? *shortened : *prepared[i][k];
      const double gain_db = script.speech_level_dbfs - p.level_dbfs + turn.gain_db;
      const double peak_dbfs = to_db(p.peak) + gain_db;
      if (peak_dbfs > kMaxPeakDbfs) {
        std::ostringstream message;
        message.precision(1);
        message << std::fixed << utterance_path(i, k) << " (" << source.file << "): would clip: its peak reaches "
                << peak_dbfs << " dBFS with gain_db " << turn.gain_db << "; lower the turn's gain_db by at least "
                << peak_dbfs - kMaxPeakDbfs << " dB";
        throw std::runtime_error(message.str());
      }
      mix_into(channels[channel], p.samples, t - p.speech_start, static_cast<float>(std::pow(10.0, gain_db / 20.0)));
      const std::int64_t end = t + (p.speech_end - p.speech_start);
      UtteranceTruth u;
      u.turn = i;
      u.role = turn.role;
      u.source = &source;
      u.start_s = static_cast<double>(t) / rate_hz;
      u.end_s = static_cast<double>(end) / rate_hz;
      u.gain_db = turn.gain_db;
      u.level_dbfs = script.speech_level_dbfs + turn.gain_db;
      u.peak_dbfs = peak_dbfs;
      u.label = turn.label;
      u.stage = turn.stage;
      truth.utterances.push_back(std::move(u));
      t = end + (k + 1 < chosen[i].size() ? samples_of(turn.pause_s) : 0);
      if (shortened) {
        t = end;
        break;
      }
    }
    const std::int64_t turn_end = t;

    TurnTruth turn_truth{i,           turn.role,     static_cast<double>(start) / rate_hz,
                         static_cast<double>(turn_end) / rate_hz,
                         static_cast<double>(gap) / rate_hz,
                         turn.gain_db, turn.tempo,   turn.monotone,
                         cut >= 0 && turn_end >= cut, turn.label, turn.stage};
    if (interrupted != nullptr) {
      const std::int64_t interrupted_end = samples_of(interrupted->end_s);
      const std::int64_t overlap_end = std::min(turn_end, interrupted_end);
      // The one talked over stopped first while this turn went on: they gave way.
      const bool yielded = interrupted_end < turn_end;
      truth.overlaps.push_back({i, interrupted->turn, turn.role, interrupted->role, static_cast<double>(start) / rate_hz,
                                static_cast<double>(overlap_end - start) / rate_hz, yielded,
                                static_cast<double>(turn_end - start) / rate_hz});
    }
    if (open_silence != kNone) {
      truth.silences[open_silence].end_s = static_cast<double>(start) / rate_hz;
      open_silence = kNone;
    }
    truth.turns.push_back(std::move(turn_truth));
    if (turn_end >= latest_end) {
      latest_end = turn_end;
      latest_turn = truth.turns.size() - 1;
    }
    cursor = latest_end;
    role_end[channel] = turn_end;
  }
  if (truth.turns.empty()) throw std::runtime_error("turns: the script has silences but no speech");
  if (open_silence != kNone) truth.silences[open_silence].end_s = static_cast<double>(cursor) / rate_hz;

  std::int64_t frames = std::max(latest_end + samples_of(script.tail_s), cursor);
  for (const auto& channel : channels) frames = std::max(frames, static_cast<std::int64_t>(channel.size()));
  truth.frames = frames;
  truth.duration_s = static_cast<double>(frames) / rate_hz;

  call.interleaved.assign(static_cast<std::size_t>(frames) * ComposedCall::kChannels, 0.0f);
  for (int c = 0; c < ComposedCall::kChannels; ++c) {
    // Each channel has its own line, so its own noise: correlated noise on both
    // sides would look like crosstalk to a channel-separation check.
    const std::vector<float> noise =
        line_noise(static_cast<std::size_t>(frames), rate_hz, script.noise_floor_dbfs, script.seed,
                   static_cast<std::uint64_t>(c));
    channels[c].resize(static_cast<std::size_t>(frames), 0.0f);
    for (std::size_t n = 0; n < static_cast<std::size_t>(frames); ++n) {
      call.interleaved[n * ComposedCall::kChannels + static_cast<std::size_t>(c)] = channels[c][n] + noise[n];
    }
  }
  return call;
}

std::string truth_to_json(const ComposedCall& call, const TruthFileInfo& info) {
  using nlohmann::ordered_json;
  const CallTruth& truth = call.truth;
  ordered_json root;
  root["format"] = "tonewatch-call-truth";
  root["version"] = 1;
  root["generator"] = "compose_call";
  root["script"] = info.script;
  root["audio"] = {{"file", info.audio},
                   {"encoding", info.encoding},
                   {"sample_rate_hz", truth.sample_rate_hz},
                   {"channels", ComposedCall::kChannels},
                   {"frames", truth.frames}};
  root["duration_s"] = rounded(truth.duration_s);
  root["speech_level_dbfs"] = truth.speech_level_dbfs;
  root["noise_floor_dbfs"] = truth.noise_floor_dbfs;
  root["seed"] = truth.seed;

  ordered_json channels = ordered_json::array();
  for (const SpeakerRole role : {SpeakerRole::caller, SpeakerRole::agent}) {
    ordered_json speakers = ordered_json::array();
    std::set<std::string> seen;
    for (const auto& u : truth.utterances) {
      if (u.role == role && seen.insert(u.source->speaker).second) {
        speakers.push_back({{"speaker", u.source->speaker}, {"sex", u.source->sex}});
      }
    }
    channels.push_back({{"channel", channel_of(role)}, {"role", to_string(role)}, {"speakers", speakers}});
  }
  root["channels"] = channels;

  ordered_json turns = ordered_json::array();
  for (const auto& t : truth.turns) {
    turns.push_back({{"turn", t.turn},
                     {"role", to_string(t.role)},
                     {"start_s", rounded(t.start_s)},
                     {"end_s", rounded(t.end_s)},
                     {"gap_s", rounded(t.gap_s)},
                     {"gain_db", t.gain_db},
                     {"tempo", t.tempo},
                     {"monotone", t.monotone},
                     {"cut", t.cut},
                     {"label", t.label},
                     {"stage", t.stage}});
  }
  root["turns"] = turns;

  ordered_json utterances = ordered_json::array();
  for (const auto& u : truth.utterances) {
    const EmodbUtterance& s = *u.source;
    utterances.push_back({{"turn", u.turn},
                          {"role", to_string(u.role)},
                          {"channel", channel_of(u.role)},
                          {"file", s.file},
                          {"speaker", s.speaker},
                          {"sex", s.sex},
                          {"text_code", s.text_code},
                          {"emotion", std::string(1, s.emotion_code)},
                          {"emotion_name", s.emotion},
                          {"arousal", s.arousal_group},
                          {"recognition_pct", s.recognition_pct},
                          {"start_s", rounded(u.start_s)},
                          {"end_s", rounded(u.end_s)},
                          {"bounds", s.speech_start_s ? "silb" : "file"},
                          {"syllables", s.syllables},
                          {"level_dbfs", rounded(u.level_dbfs)},
                          {"peak_dbfs", std::round(u.peak_dbfs * 10.0) / 10.0},
                          {"gain_db", u.gain_db},
                          {"label", u.label},
                          {"stage", u.stage}});
  }
  root["utterances"] = utterances;

  ordered_json overlaps = ordered_json::array();
  for (const auto& o : truth.overlaps) {
    overlaps.push_back({{"turn", o.turn},
                        {"interrupted_turn", o.interrupted_turn},
                        {"interrupter", to_string(o.interrupter)},
                        {"interrupted", to_string(o.interrupted)},
                        {"start_s", rounded(o.start_s)},
                        {"duration_s", rounded(o.duration_s)},
                        {"interrupted_yielded", o.interrupted_yielded},
                        {"interrupter_turn_s", rounded(o.interrupter_turn_s)}});
  }
  root["overlaps"] = overlaps;

  ordered_json silences = ordered_json::array();
  for (const auto& s : truth.silences) {
    silences.push_back(
        {{"turn", s.turn}, {"start_s", rounded(s.start_s)}, {"end_s", rounded(s.end_s)}, {"label", s.label}});
  }
  root["silences"] = silences;
  return root.dump(2) + "\n";
}

}  // namespace tw::tools
