#pragma once
// A live call's timeline so far, for readers on other threads (the dashboard's
// call view, the wallboard's sparklines). The call's worker brings it up to date
// once a second, copying only what is new; readers copy it under a short lock.
// Bounded: past the limits the oldest seconds and events are let go, so a call
// left open for days cannot grow without end.

#include <cstddef>
#include <mutex>
#include <vector>

#include "pipeline/call_timeline.h"

namespace tw::server {

struct TimelineLimits {
  double max_seconds = 4 * 3600.0;  ///< per speaker, the newest seconds kept
  std::size_t max_events = 5000;    ///< the newest events kept
};

class TimelineSnapshot {
 public:
  /// Throws std::invalid_argument if a limit is not positive.
  explicit TimelineSnapshot(TimelineLimits limits = {});
  TimelineSnapshot(const TimelineSnapshot&) = delete;
  TimelineSnapshot& operator=(const TimelineSnapshot&) = delete;

  /// The worker: brings the copy up to date with the session's timeline. Appends
  /// the seconds, events, overlaps and silences added since the last call and
  /// replaces the stage spans (a handful) and counts, so the cost follows what is
  /// new, not the call's length. Takes the lock briefly. Once a second, never per
  /// hop. One thread only.
  void update(const pipeline::CallTimeline& timeline);

  /// Anyone: the timeline so far. With `after_s` >= 0, each speaker's seconds are
  /// only those after that time (everything else is whole): what a reader that
  /// has the earlier seconds needs. Allocates; linear in what it copies.
  pipeline::CallTimeline copy(double after_s = -1.0) const;

  /// Anyone: the caller's smoothed agitation over the newest `seconds` entries,
  /// oldest first; `last_time_s` gets the newest entry's time (-1 if none).
  std::vector<float> recent_agitation(std::size_t seconds, double& last_time_s) const;

  /// Speaker seconds and events let go to keep within the limits.
  std::size_t dropped() const;

 private:
  template <class T>
  void trim(std::vector<T>& items, std::size_t keep);  // under mutex_

  const TimelineLimits limits_;
  // The worker's marks: how much of each of the session's lists is copied.
  std::size_t caller_seen_ = 0, agent_seen_ = 0, events_seen_ = 0, overlaps_seen_ = 0, silences_seen_ = 0;

  mutable std::mutex mutex_;
  pipeline::CallTimeline copy_;
  std::size_t dropped_ = 0;
};

}  // namespace tw::server
