#pragma once
// Every detection threshold in one place; loaded from the config file
// (app/config_file.h), defaults documented there and in docs/how-it-works.md.

#include "detect/agent_tone_rules.h"
#include "detect/agitation_tracker.h"
#include "detect/deescalation_stage.h"
#include "detect/episode_tracker.h"
#include "detect/speaker_baseline.h"
#include "detect/turn_taking.h"

namespace tw::detect {

struct CallerAgitationConfig {
  /// caller_agitation_high: the smoothed score at or above open_level, sustained;
  /// closes below close_level.
  float high_open_level = 0.7f;
  float high_close_level = 0.5f;
  EpisodeTiming high_timing{3.0, 5.0, 20.0};
  /// caller_agitation_rising: the CUSUM trend, sustained for its min duration.
  EpisodeTiming rising_timing{0.0, 5.0, 30.0};
};

struct DetectionConfig {
  BaselineConfig baseline;
  AgitationConfig agitation;
  CallerAgitationConfig caller;
  TurnTakingConfig turns;
  AgentToneConfig agent;
  StageConfig stage;
};

}  // namespace tw::detect
