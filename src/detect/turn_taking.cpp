#include "detect/turn_taking.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::detect {
namespace {
constexpr double kHop_s = 0.01;
}

TurnTakingTracker::TurnTakingTracker(const TurnTakingConfig& config) : config_(config) {
  if (!(config.turn_pause_bridge_s > 0 && config.mid_turn_min_s >= 0 && config.talking_now_s >= 0 &&
        config.backchannel_max_s > 0 && config.yield_within_s > 0 && config.yield_min_overlap_s >= 0 &&
        config.interruption_min_overlap_s > 0 && config.dead_air_s > 0 && config.monologue_s > 0 &&
        config.floor_window_s > 0)) {
    throw std::invalid_argument(
        "TurnTakingConfig: durations must be > 0 (mid_turn_min_s, talking_now_s, yield_min_overlap_s >= 0)");
  }
  window_hops_ = static_cast<std::size_t>(std::lround(config.floor_window_s / kHop_s));
  // Zero hops would divide by zero in update().
  if (window_hops_ == 0 || window_hops_ > kMaxWindowHops) {
    throw std::invalid_argument("TurnTakingConfig: floor_window_s must be in 0.01..60");
  }
}

void TurnTakingTracker::reset() noexcept {
  speakers_ = {};
  events_ = {};
  silent_since_s_ = 0.0;
  dead_air_open_ = monologue_open_ = agent_holds_floor_ = false;
  agent_floor_since_s_ = 0.0;
  floor_returned_s_ = -1e9;
  activity_next_ = activity_count_ = 0;
}

const TurnEvents& TurnTakingTracker::begin_gap(double time_s) noexcept {
  events_ = {};
  if (dead_air_open_) {
    dead_air_open_ = false;
    events_.dead_air_ended = true;
    events_.dead_air_since_s = silent_since_s_;
  }
  if (monologue_open_) {
    monologue_open_ = false;
    events_.monologue_ended = true;
    events_.monologue_since_s = agent_floor_since_s_;
  }
  if (agent_holds_floor_) floor_returned_s_ = time_s;
  agent_holds_floor_ = false;
  for (Speaker& s : speakers_) {
    s.in_turn = false;
    s.overlap_candidate = false;
    s.started_in_pause = false;
    s.overlap_s = 0.0;
  }
  return events_;
}

void TurnTakingTracker::end_gap(double time_s) noexcept { silent_since_s_ = time_s; }

float TurnTakingTracker::floor_share(features::SpeakerRole role) const noexcept {
  if (activity_count_ == 0) return 0.0f;
  const Speaker& s = speaker(role);
  return static_cast<float>(s.active_hops_window) / static_cast<float>(activity_count_);
}

double TurnTakingTracker::agent_turn_s(double time_s) const noexcept {
  const Speaker& agent = speaker(features::SpeakerRole::agent);
  return agent.in_turn ? time_s - agent.turn_start_s : 0.0;
}

const TurnEvents& TurnTakingTracker::update(double time_s, bool caller_active, bool agent_active) noexcept {
  events_ = {};
  const bool active[2] = {caller_active, agent_active};
  const bool anyone_spoke_before = speakers_[0].last_active_s > -1e8 || speakers_[1].last_active_s > -1e8;

  // Turns: voice activity with short pauses bridged.
  for (int i = 0; i < 2; ++i) {
    Speaker& s = speakers_[i];
    Speaker& other = speakers_[1 - i];
    if (active[i]) {
      // Resuming after a pause while the other, who started in that pause, is
      // talking: the pause had handed over the floor, so this is a new turn
      // (which may cut in on the other's reply).
      if (s.in_turn && other.in_turn && other.turn_start_s > s.last_active_s + config_.talking_now_s &&
          time_s - other.last_active_s <= config_.talking_now_s) {
        s.in_turn = false;
      }
      if (!s.in_turn) {
        s.in_turn = true;
        s.turn_start_s = time_s;
        const bool other_talking = other.in_turn && time_s - other.last_active_s <= config_.talking_now_s;
        // Starting while the other speaker is talking, mid-turn, may be cutting in.
        s.overlap_candidate = other_talking && time_s - other.turn_start_s >= config_.mid_turn_min_s;
        s.overlap_s = 0.0;
        s.other_turn_s = time_s - other.turn_start_s;
        s.started_in_pause = other.in_turn && !other_talking;
      }
      s.last_active_s = time_s;
      // Speaking in the other's pause for longer than a backchannel takes the
      // floor: their turn ends there, so their next words start a new turn (which
      // may cut in on this one). An "mm-hm" in a pause leaves their turn alone.
      if (s.started_in_pause && time_s - s.turn_start_s >= config_.backchannel_max_s) {
        s.started_in_pause = false;
        if (other.in_turn && time_s - other.last_active_s > config_.talking_now_s) {
          other.in_turn = false;
          other.overlap_candidate = false;
        }
      }
    } else if (s.in_turn && time_s - s.last_active_s > config_.turn_pause_bridge_s) {
      s.in_turn = false;
      s.overlap_candidate = false;
    }
  }

  // Interruptions. A turn that started while the other was talking mid-turn is a
  // candidate until it resolves: the one talked over gives way (their turn ends
  // within yield_within_s, after more than a syllable of overlap, while the
  // newcomer talks on past a backchannel), or both keep talking over each other
  // for interruption_min_overlap_s; or the newcomer's turn ends first (a
  // backchannel, or a failed attempt), and it was nothing.
  for (int i = 0; i < 2; ++i) {
    Speaker& s = speakers_[i];
    const Speaker& other = speakers_[1 - i];
    if (!s.overlap_candidate) continue;
    if (active[0] && active[1]) s.overlap_s += kHop_s;
    bool confirmed = false, yielded = false;
    if (other.in_turn) {
      confirmed = s.overlap_s >= config_.interruption_min_overlap_s;
    } else if (!s.in_turn || s.overlap_s < config_.yield_min_overlap_s ||
               other.last_active_s > s.turn_start_s + config_.yield_within_s) {
      s.overlap_candidate = false;  // a terminal overlap, a late give-up, or both gone quiet
      continue;
    } else if (s.last_active_s > other.last_active_s &&
               s.last_active_s - s.turn_start_s >= config_.backchannel_max_s) {
      confirmed = yielded = true;
    }
    if (!s.in_turn) {
      s.overlap_candidate = false;
      continue;
    }
    if (confirmed) {
      events_.interruption = true;
      events_.interrupter = i == 0 ? features::SpeakerRole::caller : features::SpeakerRole::agent;
      events_.interruption_start_s = s.turn_start_s;
      events_.interrupted_turn_s = s.other_turn_s;
      events_.overlap_s = s.overlap_s;
      events_.interrupted_yielded = yielded;
      s.overlap_candidate = false;
    }
  }

  // Dead air: nobody has spoken for dead_air_s (only once the call has started).
  if (caller_active || agent_active) {
    if (dead_air_open_) {
      dead_air_open_ = false;
      events_.dead_air_ended = true;
      events_.dead_air_since_s = silent_since_s_;
    }
    silent_since_s_ = time_s + kHop_s;
  } else if (anyone_spoke_before && !dead_air_open_ && time_s + kHop_s - silent_since_s_ >= config_.dead_air_s) {
    dead_air_open_ = true;
    events_.dead_air_started = true;
    events_.dead_air_since_s = silent_since_s_;
  }

  // Monologue: the agent keeps the floor; the caller takes it only with a turn
  // longer than a backchannel.
  const Speaker& caller = speakers_[0];
  const Speaker& agent = speakers_[1];
  // Measured to the caller's last voice-active hop: the turn also spans the
  // bridged silence after it, which would make a 0.4 s "mm-hm" a 1.1 s turn.
  const bool caller_took_floor =
      caller.in_turn && caller.last_active_s - caller.turn_start_s >= config_.backchannel_max_s;
  if (agent.in_turn && !caller_took_floor) {
    if (!agent_holds_floor_) {
      agent_holds_floor_ = true;
      // Holding the floor counts from the agent's turn start, or from when the
      // caller last gave it back if the agent talked on through the caller's turn.
      agent_floor_since_s_ = std::max(agent.turn_start_s, floor_returned_s_);
    }
  } else {
    if (agent_holds_floor_ || caller_took_floor) floor_returned_s_ = time_s;
    agent_holds_floor_ = false;
  }
  if (agent_holds_floor_ && !monologue_open_ && time_s - agent_floor_since_s_ >= config_.monologue_s) {
    monologue_open_ = true;
    events_.monologue_started = true;
    events_.monologue_since_s = agent_floor_since_s_;
  } else if (monologue_open_ && !agent_holds_floor_) {
    monologue_open_ = false;
    events_.monologue_ended = true;
    events_.monologue_since_s = agent_floor_since_s_;
  }

  // Floor shares over the sliding window.
  if (activity_count_ == window_hops_) {
    const std::uint8_t old = activity_[activity_next_];
    speakers_[0].active_hops_window -= old & 1;
    speakers_[1].active_hops_window -= (old >> 1) & 1;
  } else {
    ++activity_count_;
  }
  activity_[activity_next_] = static_cast<std::uint8_t>((caller_active ? 1 : 0) | (agent_active ? 2 : 0));
  speakers_[0].active_hops_window += caller_active ? 1 : 0;
  speakers_[1].active_hops_window += agent_active ? 1 : 0;
  activity_next_ = (activity_next_ + 1) % window_hops_;
  return events_;
}

}  // namespace tw::detect
