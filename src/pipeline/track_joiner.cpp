#include "pipeline/track_joiner.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/pcm16.h"
#include "dsp/stream_spec.h"

namespace tw::pipeline {

namespace {
using features::SpeakerRole;
}  // namespace

TrackJoiner::TrackJoiner(std::vector<LiveTrack> tracks, double max_skew_s) {
  if (tracks.empty() || tracks.size() > kMaxTracks) {
    throw std::invalid_argument("TrackJoiner: a call has one or two tracks, got " + std::to_string(tracks.size()));
  }
  if (!(max_skew_s > 0.0) || max_skew_s > 60.0) {
    throw std::invalid_argument("TrackJoiner: max_skew_s must be in (0, 60] s, got " + std::to_string(max_skew_s));
  }
  bool has[2] = {false, false};
  for (const LiveTrack& t : tracks) {
    if (t.sample_rate_hz < 8000 || t.sample_rate_hz > 192000) {
      throw std::invalid_argument("TrackJoiner: track rate must be 8000-192000 Hz, got " + std::to_string(t.sample_rate_hz));
    }
    if (t.roles.empty()) throw std::invalid_argument("TrackJoiner: a track has no channels");
    for (SpeakerRole role : t.roles) {
      bool& seen = has[role == SpeakerRole::caller ? 0 : 1];
      if (seen) throw std::invalid_argument("TrackJoiner: two channels carry the " + std::string(features::to_string(role)));
      seen = true;
    }
  }
  // Caller first, as recordings are laid out.
  if (has[0]) roles_.push_back(SpeakerRole::caller);
  if (has[1]) roles_.push_back(SpeakerRole::agent);
  max_skew_frames_ = static_cast<std::size_t>(std::lround(max_skew_s * dsp::kAnalysisRateHz));
  for (const LiveTrack& spec : tracks) {
    Track t(dsp::Resampler(spec.sample_rate_hz, dsp::kAnalysisRateHz, static_cast<unsigned>(spec.roles.size())));
    for (SpeakerRole role : spec.roles) t.channel_map.push_back(role == roles_[0] ? 0 : 1);
    t.capacity_frames = max_skew_frames_ + kChunkFrames + 1;
    t.fifo.assign(t.capacity_frames * spec.roles.size(), 0);
    tracks_.push_back(std::move(t));
  }
  out_.assign(kChunkFrames * roles_.size(), 0.0f);
}

void TrackJoiner::take(Track& t, std::span<const float> converted) {
  const std::size_t channels = t.channel_map.size();
  std::size_t frames = converted.size() / channels;
  std::size_t from = 0;
  // Audio for time that was already filled with silence is late: drop it.
  if (t.debt_frames > 0) {
    const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(t.debt_frames, static_cast<std::int64_t>(frames)));
    t.debt_frames -= static_cast<std::int64_t>(skip);
    t.counters.late_dropped_frames += skip;
    from = skip;
  }
  // The slot wraps by comparison, not by a division per frame: head < capacity and
  // size <= capacity, so head + size is below twice the capacity.
  std::size_t slot = t.head + t.size;
  if (slot >= t.capacity_frames) slot -= t.capacity_frames;
  for (std::size_t f = from; f < frames; ++f) {
    if (t.size == t.capacity_frames) {
      // Cannot happen while emit() runs after every take(); count it rather than overwrite.
      t.counters.late_dropped_frames += frames - f;
      return;
    }
    for (std::size_t c = 0; c < channels; ++c) t.fifo[slot * channels + c] = dsp::to_pcm16(converted[f * channels + c]);
    ++t.size;
    if (++slot == t.capacity_frames) slot = 0;
  }
}

std::size_t TrackJoiner::ready_frames(bool at_end) {
  std::size_t longest = 0;
  std::size_t shortest_live = SIZE_MAX;
  for (const Track& t : tracks_) {
    longest = std::max(longest, t.size);
    if (!t.ended) shortest_live = std::min(shortest_live, t.size);
  }
  if (at_end || shortest_live == SIZE_MAX) return longest;  // every track ended: drain all
  // A track more than max_skew behind the longest is stalled: go on without it.
  const std::size_t stalled = longest > max_skew_frames_ ? longest - max_skew_frames_ : 0;
  return std::max(shortest_live, stalled);
}

void TrackJoiner::pop_into(Track& t, std::size_t frames) {
  const std::size_t channels = t.channel_map.size();
  const std::size_t out_channels = roles_.size();
  const std::size_t have = std::min(t.size, frames);
  std::size_t slot = t.head;
  for (std::size_t f = 0; f < have; ++f) {
    for (std::size_t c = 0; c < channels; ++c) out_[f * out_channels + static_cast<std::size_t>(t.channel_map[c])] = dsp::from_pcm16(t.fifo[slot * channels + c]);
    if (++slot == t.capacity_frames) slot = 0;
  }
  for (std::size_t f = have; f < frames; ++f) {
    for (std::size_t c = 0; c < channels; ++c) out_[f * out_channels + static_cast<std::size_t>(t.channel_map[c])] = 0.0f;
  }
  t.head = slot;
  t.size -= have;
  if (!t.ended && have < frames) {
    t.debt_frames += static_cast<std::int64_t>(frames - have);
    t.counters.stall_fill_frames += frames - have;
  }
}

}  // namespace tw::pipeline
