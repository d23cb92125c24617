#include "detect/deescalation_stage.h"

#include <stdexcept>

namespace tw::detect {

StageTracker::StageTracker(const StageConfig& config) : config_(config) {
  if (!(config.agitated_level > config.calm_level && config.calm_level > 0.0f && config.agitated_level < 1.0f)) {
    throw std::invalid_argument("StageConfig: need 0 < calm_level < agitated_level < 1");
  }
  if (!(config.agitated_level_unestablished >= config.agitated_level && config.agitated_level_unestablished < 1.0f)) {
    throw std::invalid_argument("StageConfig: agitated_level_unestablished must be in [agitated_level, 1)");
  }
  if (!(config.calm_hold_s >= 0.0 && config.venting_stall_s > 0.0)) {
    throw std::invalid_argument("StageConfig: calm_hold_s must be >= 0 and venting_stall_s > 0");
  }
  if (!(config.venting_caller_share > 0.0f && config.venting_caller_share <= 1.0f &&
        config.agent_listening_share >= 0.0f && config.disarming_agent_share >= 0.0f)) {
    throw std::invalid_argument("StageConfig: floor shares must lie in [0, 1]");
  }
}

void StageTracker::reset() noexcept {
  stage_ = Stage::calm;
  stage_since_s_ = 0.0;
  escalated_before_ = false;
  episode_start_s_ = 0.0;
  calm_since_s_ = -1.0;
  stall_reported_ = false;
  relapses_ = escalations_ = 0;
  time_to_calm_s_ = -1.0;
  update_ = {};
}

void StageTracker::enter(Stage next, double time_s) noexcept {
  update_.changed = true;
  update_.from = stage_;
  update_.to = next;
  stage_ = next;
  stage_since_s_ = time_s;
  if (next == Stage::venting) stall_reported_ = false;
}

const StageUpdate& StageTracker::update(const StageInputs& in) noexcept {
  update_ = {};
  const double t = in.time_s;
  const bool agitated = in.caller_agitation >= (in.caller_baseline_established ? config_.agitated_level
                                                                               : config_.agitated_level_unestablished);
  const bool calm = in.caller_agitation <= config_.calm_level;
  const bool caller_venting = in.caller_floor_share >= config_.venting_caller_share &&
                              in.agent_floor_share <= config_.agent_listening_share;
  const bool agent_responding = in.agent_floor_share >= config_.disarming_agent_share;
  const bool falling = !in.caller_rising && in.caller_slope_per_min <= 0.0f;

  if (calm) {
    if (calm_since_s_ < 0.0) calm_since_s_ = t;
  } else {
    calm_since_s_ = -1.0;
  }
  const bool calm_held = calm_since_s_ >= 0.0 && t - calm_since_s_ >= config_.calm_hold_s;

  switch (stage_) {
    case Stage::calm:
      if (agitated || in.caller_rising) {
        enter(Stage::escalating, t);
        ++escalations_;
        update_.escalated = true;
        if (escalated_before_) {
          ++relapses_;
          update_.relapsed = true;
        } else {
          episode_start_s_ = t;
        }
        escalated_before_ = true;
      }
      break;
    case Stage::escalating:
      if (agitated && caller_venting) {
        enter(Stage::venting, t);
      } else if (!agitated && falling && agent_responding) {
        enter(Stage::disarming, t);
      } else if (calm_held) {
        enter(Stage::disarming, t);  // calmed without a visible exchange: pass through disarming
      }
      break;
    case Stage::venting:
      if (falling && agent_responding && !caller_venting) {
        enter(Stage::disarming, t);
      } else if (calm_held) {
        enter(Stage::disarming, t);
      } else if (!stall_reported_ && t - stage_since_s_ >= config_.venting_stall_s) {
        stall_reported_ = true;
        update_.venting_stalled = true;
      }
      break;
    case Stage::disarming:
      if (calm_held) {
        enter(Stage::calm, t);
        time_to_calm_s_ = t - episode_start_s_;
        update_.time_to_calm_s = time_to_calm_s_;
      } else if (in.caller_rising && agitated) {
        enter(Stage::escalating, t);
        ++relapses_;
        ++escalations_;
        update_.relapsed = true;
      }
      break;
  }
  return update_;
}

}  // namespace tw::detect
