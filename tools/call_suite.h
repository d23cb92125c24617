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
  std::string scenario;   ///< escalation, agent_interrupts, agent_raises_voice, dead_air, calm, calm_ivr
  bool calm = false;      ///< a calm call: no alert at all may be raised
  CallScript script;
};

/// Scenarios for every (caller, agent) pair drawn from `speakers` (EmoDB ids),
/// each caller paired with the next speaker of the other sex where possible.
/// `ivr_agent_files`: recordings of a calm professional voice for the calm_ivr
/// scenario (../shared/data/telephone_voice); empty skips it.
std::vector<SuiteCall> make_evaluation_suite(const std::vector<std::string>& speakers,
                                             const std::vector<std::string>& ivr_agent_files,
                                             const std::string& emodb_dir);

/// The spoken prompts of an IVR recording folder usable as an agent's turns:
/// WAV files of 1-8 s (a longer prompt is a monologue of its own; the shortest
/// are tones and beeps), sorted by name.
std::vector<std::string> select_prompts(const std::string& dir);

}  // namespace tw::tools
