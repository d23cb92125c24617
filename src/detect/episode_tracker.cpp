#include "detect/episode_tracker.h"

#include <stdexcept>

namespace tw::detect {

EpisodeTracker::EpisodeTracker(const EpisodeTiming& timing) : timing_(timing) {
  if (timing.min_duration_s < 0.0 || timing.release_s < 0.0 || timing.cooldown_s < 0.0) {
    throw std::invalid_argument("EpisodeTiming: min_duration_s, release_s and cooldown_s must be >= 0");
  }
}

void EpisodeTracker::reset() noexcept {
  open_ = false;
  pending_ = false;
  pending_since_s_ = onset_s_ = opened_s_ = 0.0;
  closed_s_ = -1e300;
}

EpisodeChange EpisodeTracker::update(double time_s, bool open_condition, bool close_condition) noexcept {
  if (!open_) {
    if (!open_condition) {
      pending_ = false;
      return EpisodeChange::none;
    }
    if (!pending_) {
      pending_ = true;
      pending_since_s_ = time_s;
    }
    const bool cooled_down = time_s - closed_s_ >= timing_.cooldown_s;
    if (time_s - pending_since_s_ >= timing_.min_duration_s && cooled_down) {
      open_ = true;
      pending_ = false;
      onset_s_ = pending_since_s_;
      opened_s_ = time_s;
      return EpisodeChange::opened;
    }
    return EpisodeChange::none;
  }
  if (!close_condition) {
    pending_ = false;
    return EpisodeChange::none;
  }
  if (!pending_) {
    pending_ = true;
    pending_since_s_ = time_s;
  }
  if (time_s - pending_since_s_ >= timing_.release_s) {
    open_ = false;
    pending_ = false;
    closed_s_ = time_s;
    return EpisodeChange::closed;
  }
  return EpisodeChange::none;
}

}  // namespace tw::detect
