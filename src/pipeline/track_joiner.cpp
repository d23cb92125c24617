#include "pipeline/track_joiner.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/pcm16.h"
#include "dsp/stream_spec.h"

namespace tw::pipeline {

namespace {
using features::SpeakerRole;
// A sample as the queue keeps it.
inline std::int16_t queued_sample(float x) noexcept { return dsp::to_pcm16(x); }
inline std::int16_t queued_sample(std::int16_t x) noexcept { return x; }
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
    Track t(dsp::Resampler(spec.sample_rate_hz, dsp::kAnalysisRateHz, static_cast<unsigned>(spec.roles.size())),
            spec.sample_rate_hz);
    for (SpeakerRole role : spec.roles) t.channel_map.push_back(role == roles_[0] ? 0 : 1);
    t.capacity_frames = max_skew_frames_ + kChunkFrames + 1;
    t.fifo.assign(t.capacity_frames * spec.roles.size(), 0);
    tracks_.push_back(std::move(t));
  }
  OutBlock::reserve(kChunkFrames * roles_.size());
}

void TrackJoiner::take(Track& t, std::span<const float> converted) { take_samples(t, converted); }
void TrackJoiner::take(Track& t, std::span<const std::int16_t> samples) { take_samples(t, samples); }

template <class Sample>
void TrackJoiner::take_samples(Track& t, std::span<const Sample> converted) {
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
  std::size_t n = frames - from;
  if (n > 0) t.trailing_gap = 0;  // audio now follows every queued gap
  const std::size_t room = t.capacity_frames - t.size;
  if (n > room) {
    // Cannot happen while emit() runs after every take(); count it rather than overwrite.
    t.counters.late_dropped_frames += n - room;
    n = room;
  }
  // The queue holds the track's channels in its own order, so a block is a flat
  // copy into at most two pieces (before and after the wrap): loops the compiler
  // vectorizes, where a frame at a time with a wrap test each was 7 % of a worker.
  std::size_t slot = t.head + t.size;
  if (slot >= t.capacity_frames) slot -= t.capacity_frames;
  const Sample* in = converted.data() + from * channels;
  const std::size_t first = std::min(n, t.capacity_frames - slot);
  std::int16_t* to = t.fifo.data() + slot * channels;
  for (std::size_t i = 0; i < first * channels; ++i) to[i] = queued_sample(in[i]);
  in += first * channels;
  to = t.fifo.data();
  for (std::size_t i = 0; i < (n - first) * channels; ++i) to[i] = queued_sample(in[i]);
  t.size += n;
  t.audio_since_marker += n;
}

void TrackJoiner::add_gap(Track& t, std::int64_t frames, dsp::GapKind kind) noexcept {
  if (frames <= 0) return;
  // To the analysis rate, carrying the fraction so that gaps add up exactly. (A
  // resampled track's converter still holds its filter's delay of audio from
  // before the gap, a few ms that come out after it: stream time is unchanged.)
  std::int64_t g = frames;
  if (t.rate_hz != dsp::kAnalysisRateHz) {
    const std::int64_t scaled = frames * dsp::kAnalysisRateHz + t.gap_remainder;
    g = scaled / t.rate_hz;
    t.gap_remainder = scaled % t.rate_hz;
  }
  // Time already filled with silence for this track (stalled) is paid back first.
  if (t.debt_frames > 0) {
    const std::int64_t paid = std::min(t.debt_frames, g);
    t.debt_frames -= paid;
    g -= paid;
  }
  if (g <= 0) return;
  const std::size_t first_audio = t.marker_count == 0 ? t.size : t.audio_since_marker;
  Marker* last = t.marker_count > 0 ? &t.markers[(t.marker_head + t.marker_count - 1) % kMaxMarkers] : nullptr;
  if (last != nullptr && (first_audio == 0 || t.marker_count == kMaxMarkers)) {
    // Right after the last gap (or no room for another, which 32 gaps waiting for
    // under a second of the other track never fill): one longer gap.
    last->frames += g;
    if (dsp::declared(kind)) last->kind = kind;
  } else {
    t.markers[(t.marker_head + t.marker_count) % kMaxMarkers] = Marker{first_audio, g, kind};
    ++t.marker_count;
    t.audio_since_marker = 0;
  }
  t.gap_frames += g;
  t.trailing_gap += g;
}

void TrackJoiner::consume_gap(Track& t, std::int64_t frames) noexcept {
  Marker& m = t.front();
  m.frames -= frames;
  t.gap_frames -= frames;
  t.trailing_gap = std::min(t.trailing_gap, t.gap_frames);
  if (m.frames <= 0) {
    t.marker_head = (t.marker_head + 1) % kMaxMarkers;
    --t.marker_count;
  }
}

void TrackJoiner::silence_into(const Track& t, std::size_t frames) noexcept {
  const std::size_t out_channels = roles_.size();
  const std::span<float> out = out_block();
  for (const int c : t.channel_map) {
    float* to = out.data() + static_cast<std::size_t>(c);
    for (std::size_t f = 0; f < frames; ++f) to[f * out_channels] = 0.0f;
  }
}

std::int64_t TrackJoiner::join(std::size_t track, int rate_hz) {
  Track& t = tracks_[track];
  if (!t.absent) return frames_out_;
  if (rate_hz != t.rate_hz) {
    t.resampler = dsp::Resampler(rate_hz, dsp::kAnalysisRateHz, static_cast<unsigned>(t.channel_map.size()));
    t.rate_hz = rate_hz;
    t.gap_remainder = 0;
  }
  t.absent = false;
  t.debt_frames = 0;
  // The newest audio of the others arrived when this track's first does: the frames
  // they have waiting are this track's silence before it.
  std::size_t lead = 0;
  for (const Track& other : tracks_) {
    if (&other != &t && !other.absent) lead = std::max(lead, other.size);
  }
  lead = std::min(lead, t.capacity_frames - kChunkFrames);
  if (lead > 0) {
    static constexpr std::array<float, 2 * kChunkFrames> kSilence{};
    const std::size_t channels = t.channel_map.size();
    for (std::size_t done = 0; done < lead;) {
      const std::size_t n = std::min(lead - done, kChunkFrames);
      take(t, std::span<const float>(kSilence.data(), n * channels));
      done += n;
    }
  }
  return frames_out_ + static_cast<std::int64_t>(lead);
}

std::size_t TrackJoiner::ready_frames(bool at_end) {
  std::size_t longest = 0, longest_all = 0;
  std::size_t shortest_live = SIZE_MAX;
  for (const Track& t : tracks_) {
    const auto queued = static_cast<std::size_t>(t.queued());
    longest_all = std::max(longest_all, queued);
    // A gap no audio has followed yet arrived all at once, not over its length of
    // wall time: it does not make the other track look stalled.
    longest = std::max(longest, queued - static_cast<std::size_t>(t.trailing_gap));
    if (!t.ended && !t.absent) shortest_live = std::min(shortest_live, queued);
  }
  if (at_end || shortest_live == SIZE_MAX) return longest_all;  // every track ended: drain all
  // A track more than max_skew behind the longest is stalled: go on without it.
  const std::size_t stalled = longest > max_skew_frames_ ? longest - max_skew_frames_ : 0;
  return std::max(shortest_live, stalled);
}

void TrackJoiner::advance(Track& t, std::size_t frames) noexcept {
  t.head += frames;
  if (t.head >= t.capacity_frames) t.head -= t.capacity_frames;
  t.size -= frames;
  if (t.marker_count > 0) t.front().audio_before -= frames;
  rewind_if_empty(t);
}

void TrackJoiner::rewind_if_empty(Track& t) noexcept {
  // An empty queue starts again at its front. A live call's tracks keep step, so the
  // queue empties at nearly every turn, and the next audio then goes to the same
  // kilobyte instead of moving on round max_skew's seconds of buffer, a new cold
  // line at every write. With hundreds of calls, those writes were a quarter of a
  // worker's last-level cache misses (cachegrind, worker_bench --calls 900). Markers
  // count frames from the head, not positions, so they are unchanged.
  if (t.size == 0) t.head = 0;
}

bool TrackJoiner::pop_pair_into(std::size_t frames) noexcept {
  if (tracks_.size() != 2 || roles_.size() != 2) return false;
  Track& a = tracks_[0];
  Track& b = tracks_[1];
  if (a.channel_map.size() != 1 || b.channel_map.size() != 1 || a.in_gap() || b.in_gap() || a.size < frames ||
      b.size < frames) {
    return false;
  }
  Track& left = a.channel_map[0] == 0 ? a : b;
  Track& right = a.channel_map[0] == 0 ? b : a;
  float* out = out_block().data();
  for (std::size_t done = 0; done < frames;) {
    // The longest stretch where neither queue wraps.
    const std::size_t piece = std::min({frames - done, left.capacity_frames - left.head, right.capacity_frames - right.head});
    const std::int16_t* l = left.fifo.data() + left.head;
    const std::int16_t* r = right.fifo.data() + right.head;
    float* to = out + 2 * done;
    for (std::size_t f = 0; f < piece; ++f) {
      to[2 * f] = dsp::from_pcm16(l[f]);
      to[2 * f + 1] = dsp::from_pcm16(r[f]);
    }
    advance(left, piece);
    advance(right, piece);
    done += piece;
  }
  return true;
}

void TrackJoiner::pop_into(Track& t, std::size_t frames) {
  const std::size_t channels = t.channel_map.size();
  const std::size_t out_channels = roles_.size();
  const std::size_t have = std::min(t.size, frames);
  const std::span<float> out = out_block();
  // One channel at a time over at most two contiguous pieces of the queue.
  std::size_t slot = t.head;
  std::size_t done = 0;
  while (done < have) {
    const std::size_t piece = std::min(have - done, t.capacity_frames - slot);
    const std::int16_t* from = t.fifo.data() + slot * channels;
    for (std::size_t c = 0; c < channels; ++c) {
      float* to = out.data() + done * out_channels + static_cast<std::size_t>(t.channel_map[c]);
      for (std::size_t f = 0; f < piece; ++f) to[f * out_channels] = dsp::from_pcm16(from[f * channels + c]);
    }
    done += piece;
    slot += piece;
    if (slot == t.capacity_frames) slot = 0;
  }
  for (std::size_t c = 0; c < channels; ++c) {
    float* to = out.data() + static_cast<std::size_t>(t.channel_map[c]);
    for (std::size_t f = have; f < frames; ++f) to[f * out_channels] = 0.0f;
  }
  t.head = slot;
  t.size -= have;
  if (t.marker_count > 0) t.front().audio_before -= have;
  rewind_if_empty(t);
  if (!t.ended && !t.absent && have < frames) {
    t.debt_frames += static_cast<std::int64_t>(frames - have);
    t.counters.stall_fill_frames += frames - have;
  }
}

}  // namespace tw::pipeline
