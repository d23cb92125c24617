#include "server/timeline_snapshot.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::server {
namespace {

/// Appends source[seen..] to target and moves the mark. A source shorter than the
/// mark was reset (a new session): the copy starts over from it.
template <class T>
void append_new(const std::vector<T>& source, std::size_t& seen, std::vector<T>& target) {
  if (source.size() < seen) {
    target.clear();
    seen = 0;
  }
  target.insert(target.end(), source.begin() + static_cast<std::ptrdiff_t>(seen), source.end());
  seen = source.size();
}

}  // namespace

TimelineSnapshot::TimelineSnapshot(TimelineLimits limits) : limits_(limits) {
  if (!(limits_.max_seconds >= 1.0)) throw std::invalid_argument("TimelineLimits.max_seconds must be at least 1");
  if (limits_.max_events == 0) throw std::invalid_argument("TimelineLimits.max_events must be positive");
}

template <class T>
void TimelineSnapshot::trim(std::vector<T>& items, std::size_t keep) {
  // Let go in chunks of an eighth, so the erase (linear) is paid once per many updates.
  const std::size_t slack = std::max<std::size_t>(1, keep / 8);
  if (items.size() <= keep + slack) return;
  const std::size_t drop = items.size() - keep;
  items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(drop));
  dropped_ += drop;
}

void TimelineSnapshot::update(const pipeline::CallTimeline& t) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (copy_.call_id != t.call_id) copy_.call_id = t.call_id;
  if (copy_.roles != t.roles) copy_.roles = t.roles;
  copy_.duration_s = t.duration_s;
  copy_.stages = t.stages;
  copy_.escalations = t.escalations;
  copy_.relapses = t.relapses;
  copy_.time_to_calm_s = t.time_to_calm_s;
  append_new(t.caller, caller_seen_, copy_.caller);
  append_new(t.agent, agent_seen_, copy_.agent);
  append_new(t.events, events_seen_, copy_.events);
  append_new(t.overlaps, overlaps_seen_, copy_.overlaps);
  append_new(t.silences, silences_seen_, copy_.silences);
  // The monitor writes one second per speaker per second of audio.
  const auto max_seconds = static_cast<std::size_t>(std::ceil(limits_.max_seconds));
  trim(copy_.caller, max_seconds);
  trim(copy_.agent, max_seconds);
  trim(copy_.events, limits_.max_events);
  trim(copy_.overlaps, limits_.max_events);
  trim(copy_.silences, limits_.max_events);
}

pipeline::CallTimeline TimelineSnapshot::copy(double after_s) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (after_s < 0.0) return copy_;
  pipeline::CallTimeline out;
  out.call_id = copy_.call_id;
  out.duration_s = copy_.duration_s;
  out.roles = copy_.roles;
  out.stages = copy_.stages;
  out.overlaps = copy_.overlaps;
  out.silences = copy_.silences;
  out.events = copy_.events;
  out.escalations = copy_.escalations;
  out.relapses = copy_.relapses;
  out.time_to_calm_s = copy_.time_to_calm_s;
  auto after = [after_s](const std::vector<pipeline::SpeakerSecond>& seconds) {
    const auto first = std::upper_bound(seconds.begin(), seconds.end(), after_s,
                                        [](double t, const pipeline::SpeakerSecond& s) { return t < s.time_s; });
    return std::vector<pipeline::SpeakerSecond>(first, seconds.end());
  };
  out.caller = after(copy_.caller);
  out.agent = after(copy_.agent);
  return out;
}

std::vector<float> TimelineSnapshot::recent_agitation(std::size_t seconds, double& last_time_s) const {
  std::lock_guard<std::mutex> lock(mutex_);
  last_time_s = copy_.caller.empty() ? -1.0 : copy_.caller.back().time_s;
  const std::size_t n = std::min(seconds, copy_.caller.size());
  std::vector<float> out;
  out.reserve(n);
  for (std::size_t i = copy_.caller.size() - n; i < copy_.caller.size(); ++i) out.push_back(copy_.caller[i].agitation);
  return out;
}

std::size_t TimelineSnapshot::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace tw::server
