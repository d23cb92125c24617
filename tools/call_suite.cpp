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

// The first syllables of an utterance: a short token, as a backchannel.
UtteranceSpec token(const std::string& speaker, int syllables) {
  UtteranceSpec u = pick(speaker, 'N');
  u.syllables = syllables;
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

// The agent of caller i: the next listed speaker of the other sex, else simply the next one.
std::string agent_for(const std::vector<std::string>& speakers, std::size_t i) {
  const std::string& c = speakers[i];
  for (std::size_t k = 1; k < speakers.size(); ++k) {
    const std::string& candidate = speakers[(i + k) % speakers.size()];
    if (kSex.count(candidate) && kSex.count(c) && kSex.at(candidate) != kSex.at(c)) return candidate;
  }
  return speakers[(i + 1) % speakers.size()];
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
    const std::string a = agent_for(speakers, i);
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
    {  // One short angry turn between calm ones: a single 2-3 s utterance.
      SuiteCall call{"short-angry-turn-" + pair, "short_angry_turn", false,
                     base_script(emodb_dir, ++seed, "one angry turn between calm turns")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'W')}, 0.5, 4, "angry turn"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // Angry from the first word: no calm stretch to learn a baseline from.
      SuiteCall call{"angry-from-start-" + pair, "angry_from_start", false,
                     base_script(emodb_dir, ++seed, "caller angry from the first word")};
      auto& e = call.script.entries;
      e.push_back(turn(kCaller, {pick(c, 'W'), pick(c, 'W'), pick(c, 'W')}, 0.5, 4, "angry from the start"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "listening"));
      e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.6, 0, "calmer"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // The agent barges in 1 s into the caller's turn; the caller gives way within a second.
      SuiteCall call{"agent-barge-in-" + pair, "agent_barge_in", false,
                     base_script(emodb_dir, ++seed, "agent cuts in, the caller yields")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      // Overlaps of 0.3 to 0.9 s across the speakers.
      const double overlap_s = 0.3 + 0.15 * static_cast<double>(i % 5);
      TurnSpec caller_turn = turn(kCaller, {pick(c, 'N'), pick(c, 'N')}, 0.5, 0, "calm");
      caller_turn.cut_after_s = 1.0 + overlap_s;
      e.push_back(caller_turn);
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, -overlap_s, 0, "barge-in"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // Agent backchannels ("mm-hm": the first syllables of a word) while the caller talks on.
      SuiteCall call{"agent-backchannels-" + pair, "agent_backchannels", true,
                     base_script(emodb_dir, ++seed, "agent backchannels during the caller's turn")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'N'), pick(c, 'N'), pick(c, 'N'), pick(c, 'N')}, 0.5, 0, "calm"));
      for (const double before_end_s : {6.0, 3.5, 1.5}) {
        e.push_back(turn(kAgent, {token(a, 1 + static_cast<int>(i % 2))}, -before_end_s, -3, "backchannel"));
      }
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    for (const auto& [name, tempo] : {std::pair<std::string, double>{"fast", 1.5}, {"slow", 0.7}}) {
      // The agent speaking much faster or slower than before and than the caller.
      SuiteCall call{"agent-" + name + "-" + pair, "agent_" + name, false,
                     base_script(emodb_dir, ++seed, "agent speaks " + name)};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      for (int k = 0; k < 2; ++k) {
        TurnSpec agent = turn(kAgent, {pick(a, 'N'), pick(a, 'N'), pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "agent_" + name);
        agent.tempo = tempo;
        e.push_back(agent);
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      }
      suite.push_back(std::move(call));
    }
    {  // The agent turns monotone: the same voice with a level pitch and even loudness.
      SuiteCall call{"agent-monotone-" + pair, "agent_monotone", false,
                     base_script(emodb_dir, ++seed, "agent delivers in a monotone")};
      auto& e = call.script.entries;
      calm_opening(e, c, a);
      for (int k = 0; k < 6; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
        TurnSpec agent = turn(kAgent, {pick(a, 'N'), pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "agent_monotone");
        agent.monotone = true;
        e.push_back(agent);
      }
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
    if (!ivr_agent_files.empty()) {  // The calm professional telephone voice as the caller, from the first word.
      // Named by its agent and its slot: several slots of a fold can share an agent,
      // and each call needs a name of its own (its kept outputs are filed under it).
      SuiteCall call{"calm-ivr-caller-" + a + "-" + std::to_string(i + 1), "calm_ivr_caller", true,
                     base_script(emodb_dir, ++seed, "IVR voice as the caller, EmoDB agent")};
      auto& e = call.script.entries;
      for (std::size_t k = 0; k < 5; ++k) {
        std::vector<UtteranceSpec> caller;
        for (std::size_t j = 0; j < 2; ++j) {
          caller.push_back(file(ivr_agent_files[(i * 10 + 5 + k * 2 + j) % ivr_agent_files.size()]));
        }
        e.push_back(turn(kCaller, caller, 0.6, 0, "calm"));
        e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      }
      suite.push_back(std::move(call));
    }
  }
  return suite;
}

std::vector<SuiteCall> make_early_and_pace_suite(const std::vector<std::string>& speakers, const std::string& emodb_dir) {
  std::vector<SuiteCall> suite;
  std::uint64_t seed = 5000;
  for (std::size_t i = 0; i < speakers.size(); ++i) {
    const std::string& c = speakers[i];
    const std::string a = agent_for(speakers, i);
    const std::string pair = c + "-" + a;
    {  // The agent shouts early: about 10 s of their own calm speech, then a raised turn
       // 15-20 s into the call, while their baseline may still be learning.
      SuiteCall call{"agent-shouts-early-" + pair, "agent_shouts_early", false,
                     base_script(emodb_dir, ++seed, "agent shouts 15-20 s into the call")};
      auto& e = call.script.entries;
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N'), pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'W'), pick(a, 'W')}, 0.5, 8, "agent_raised_voice"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.8, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    {  // Earlier still: the agent's second turn is raised, from about 10 s into the call,
       // after 5-6 s of their calm speech: no baseline of their own can be learned yet.
      SuiteCall call{"agent-shouts-at-10s-" + pair, "agent_shouts_at_10s", false,
                     base_script(emodb_dir, ++seed, "agent shouts from about 10 s into the call")};
      auto& e = call.script.entries;
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'W'), pick(a, 'W')}, 1.0, 8, "agent_raised_voice"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.8, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N'), pick(a, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kCaller, {pick(c, 'N')}, 0.6, 0, "calm"));
      e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      suite.push_back(std::move(call));
    }
    for (const auto& [name, tempo] : {std::pair<std::string, double>{"fast", 1.5}, {"slow", 0.7}}) {
      // Short turns (one utterance, 1.5-3 s) throughout; three consecutive agent turns
      // time-scaled (4-5 s of speech in all at 1.5x, about 8 s at 0.7x) between normal
      // ones: the pace a supervisor must hear about within those turns.
      SuiteCall call{"agent-" + name + "-turns-" + pair, "agent_" + name + "_turns", false,
                     base_script(emodb_dir, ++seed, "agent speaks " + name + " for three short turns")};
      auto& e = call.script.entries;
      for (int k = 0; k < 5; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
        e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      }
      for (int k = 0; k < 3; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
        TurnSpec agent = turn(kAgent, {pick(a, 'N')}, 0.6, 0, "agent_" + name);
        agent.tempo = tempo;
        e.push_back(agent);
      }
      for (int k = 0; k < 3; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
        e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
      }
      suite.push_back(std::move(call));
    }
    {  // A calm call of short turns (one utterance each): no pace or other alert may come.
      SuiteCall call{"calm-short-turns-" + pair, "calm_short_turns", true,
                     base_script(emodb_dir, ++seed, "calm call of short turns")};
      auto& e = call.script.entries;
      for (int k = 0; k < 12; ++k) {
        e.push_back(turn(kCaller, {pick(c, 'N')}, 0.5, 0, "calm"));
        e.push_back(turn(kAgent, {pick(a, 'N')}, 0.6, 0, "calm"));
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
