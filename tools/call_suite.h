#pragma once
// The composed test calls the detectors are evaluated on: scripted scenarios
// with known events, made from EmoDB speakers named by the caller (so the
// speakers can be kept apart from the model's training speakers).

#include <string>
#include <vector>

#include "tools/call_script.h"

namespace tw::tools {

struct SuiteCall {
  std::string name;       ///< e.g. "escalation-03-08"
  /// escalation, agent_interrupts, agent_raises_voice, dead_air, calm, calm_ivr,
  /// short_angry_turn, angry_from_start, agent_barge_in, agent_backchannels,
  /// agent_fast, agent_slow, agent_monotone, calm_ivr_caller; and those of
  /// make_early_and_pace_suite
  std::string scenario;
  /// A calm caller throughout: no caller-agitation event or alert may be raised
  /// (and nothing else is expected either).
  bool calm = false;
  CallScript script;
};

/// The evaluation's two speaker folds, each with both sexes (EmoDB males 03, 10,
/// 11, 12, 15; females 08, 09, 13, 14, 16): the calls of one fold are scored
/// with an agitation model trained on the other, so every speaker is a caller once
/// and never scored by a model that heard them.
inline const std::vector<std::vector<std::string>> kSpeakerFolds = {{"03", "11", "15", "09", "14"},
                                                                    {"10", "12", "08", "13", "16"}};

/// Scenarios for every (caller, agent) pair drawn from `speakers` (EmoDB ids),
/// each caller paired with the next speaker of the other sex where possible.
/// `ivr_agent_files`: recordings of a calm professional voice for the calm_ivr
/// scenario (../shared/data/telephone_voice); empty skips it.
std::vector<SuiteCall> make_evaluation_suite(const std::vector<std::string>& speakers,
                                             const std::vector<std::string>& ivr_agent_files,
                                             const std::string& emodb_dir);

/// The scenarios of issue 27, for every (caller, agent) pair as above: an agent
/// shouting 15-20 s into the call (agent_shouts_early) and from about 10 s in,
/// before any baseline of their own (agent_shouts_at_10s); three short agent turns
/// at 1.5x or 0.7x between normal ones (agent_fast_turns, agent_slow_turns); a calm
/// call of short turns that must raise no alert (calm_short_turns).
std::vector<SuiteCall> make_early_and_pace_suite(const std::vector<std::string>& speakers, const std::string& emodb_dir);

/// The spoken prompts of an IVR recording folder usable as an agent's turns:
/// WAV files of 1-8 s (a longer prompt is a monologue of its own; the shortest
/// are tones and beeps), sorted by name.
std::vector<std::string> select_prompts(const std::string& dir);

}  // namespace tw::tools
