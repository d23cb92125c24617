#include "tools/call_suite.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "io/audio_file_source.h"

namespace tw::tools {
namespace {

const std::map<std::string, char> kSex = {{"03", 'm'}, {"10", 'm'}, {"11", 'm'}, {"12", 'm'}, {"15", 'm'},
                                          {"08", 'f'}, {"09", 'f'}, {"13", 'f'}, {"14", 'f'}, {"16", 'f'}};

UtteranceSpec pick(const std::string& speaker, char emotion) {
  UtteranceSpec u;
  u.speaker = speaker;
  u.emotion_code = emotion;
  return u;
}

UtteranceSpec file(const std::string& path) {
  UtteranceSpec u;
  u.file = path;
  return u;
}

TurnSpec turn(features::SpeakerRole role, std::vector<UtteranceSpec> utterances, double gap_s, double gain_db,
              const std::string& stage) {
  TurnSpec t;
  t.role = role;
  t.utterances = std::move(utterances);
  t.gap_s = gap_s;
  t.gain_db = gain_db;
  t.stage = stage;
  t.label = stage;
  return t;
}

constexpr auto kCaller = features::SpeakerRole::caller;
constexpr auto kAgent = features::SpeakerRole::agent;

// A calm opening long enough for both baselines (about 25 s, each side ~12 s of speech).
void calm_opening(std::vector<ScriptEntry>& e, const std::string& c, const std::string& a) {
  e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.5, 0, "calm"));
  e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
  e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.5, 0, "calm"));
  e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
}

CallScript base_script(const std::string& emodb_dir, std::uint64_t seed, const std::string& description) {
  CallScript s;
  s.emodb_dir = emodb_dir;
  s.seed = seed;
  s.description = description;
  // Headroom for raised voices: EmoDB's angry takes are peak-normalized and
  // peaky, so +6 dB on a -26 dBFS active level would clip some of them.
  s.speech_level_dbfs = -30.0;
  return s;
}

}  // namespace

std::vector<SuiteCall> make_evaluation_suite(const std::vector<std::string>& speakers,
                                             const std::vector<std::string>& ivr_agent_files,
                                             const std::string& emodb_dir) {
  std::vector<SuiteCall> suite;
  std::uint64_t seed = 1000;
  for (std::size_t i = 0; i < speakers.size(); ++i) {
    const std::string& c = speakers[i];
    // The agent: the next listed speaker of the other sex, else simply the next one.
    std::string a = speakers[(i + 1) % speakers.size()];
    for (std::size_t k = 1; k < speakers.size(); ++k) {
      const std::string& candidate = speakers[(i + k) % speakers.size()];
      if (kSex.count(candidate) && kSex.count(c) && kSex.at(candidate) != kSex.at(c)) {
        a = candidate;
        break;
      }
    }
    const std::string pair = c + "-" + a;

    {  // Escalation: calm, the caller gets angry and vents, the agent listens, calm again.
      SuiteCall call{"escalation-" + pair, "escalation", false,
                     base_script(emodb_dir, ++seed, "caller escalates, vents, calms down")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'W'), pick(c, 'W')}, 0.4, 4, "escalating"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "escalating"));
      e.push_back(turn(kCaller, {pick(c, 'W'), pick(c, 'W'), pick(c, 'W'), pick(c, 'W')}, 0.4, 6, "venting"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.8, 0, "disarming"));
      e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // The agent cuts into the venting caller.
      SuiteCall call{"agent-interrupts-" + pair, "agent_interrupts", false,
                     base_script(emodb_dir, ++seed, "agent talks over a venting caller")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'W'), pick(c, 'W'), pick(c, 'W'), pick(c, 'W')}, 0.4, 6, "venting"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, -2.0, 0, "venting"));
      e.push_back(turn(kCaller, {pick(c, 'W'), pick(c, 'W')}, 0.5, 6, "venting"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.8, 0, "disarming"));
      e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // The agent raises their voice at a calm caller.
      SuiteCall call{"agent-raises-voice-" + pair, "agent_raises_voice", false,
                     base_script(emodb_dir, ++seed, "agent shouts back")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'W'), pick(a, 'W'), pick(a, 'W')}, 0.5, 8, "agent_raised_voice"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.8, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // Dead air in a calm call.
      SuiteCall call{"dead-air-" + pair, "dead_air", false, base_script(emodb_dir, ++seed, "long silence")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      SilenceSpec silence;
      silence.duration_s = 7.0;
      silence.label = "agent searching, nobody speaks";
      e.push_back(silence);
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.0, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // A calm call: nothing may be flagged.
      SuiteCall call{"calm-" + pair, "calm", true, base_script(emodb_dir, ++seed, "calm call")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      calm_opening(e, c, a);
      suite.push_back(std::move(call));
    }
    if (!ivr_agent_files.empty()) {  // A calm caller and a calm professional voice as the agent.
      SuiteCall call{"calm-ivr-" + c, "calm_ivr", true, base_script(emodb_dir, ++seed, "calm caller, IVR-voice agent")};
      auto& e = call.script.entries;
      for (std::size_t k = 0; k < 5; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
        std::vector<UtteranceSpec> agent;
        for (std::size_t j = 0; j < 2; ++j) agent.push_back(file(ivr_agent_files[(i * 10 + k * 2 + j) % ivr_agent_files.size()]));
        e.push_back(turn(kAgent, agent, 0.6, 0, "calm"));
      }
      suite.push_back(std::move(call));
    }
  }
  return suite;
}

std::vector<std::string> select_prompts(const std::string& dir) {
  std::vector<std::string> prompts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".wav") continue;
    const std::string name = entry.path().filename().string();
    if (name.find("tone") != std::string::npos || name.find("beep") != std::string::npos) continue;
    try {
      io::AudioFileSource file(entry.path().string());
      const double seconds = static_cast<double>(file.format().frames) / file.format().sample_rate_hz;
      if (seconds >= 1.0 && seconds <= 8.0) prompts.push_back(entry.path().string());
    } catch (const std::exception&) {
      // Not a readable recording: not a prompt.
    }
  }
  std::sort(prompts.begin(), prompts.end());
  return prompts;
}

}  // namespace tw::tools
