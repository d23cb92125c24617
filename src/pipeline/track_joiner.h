#pragma once
// A live call's audio arrives as separate tracks — the caller and the agent from
// two connections, two devices, or one stereo stream — each at its own rate and
// pace. The joiner converts each to the analysis rate and hands the session whole
// interleaved frames, keeping the tracks in step by sample counts: frame n of the
// output is sample n of every track. A track that falls behind by more than
// `max_skew_s` (a stalled leg, a muted device) is filled with silence so analysis
// never waits on it; audio it later sends for time already filled is dropped.
// Both are counted.
//
// The waiting audio is kept as 16-bit samples, rounded: every network format is
// 16-bit or less (G.711, L16, AudioSocket slin), so those pass through exactly, and
// for resampled or device audio the rounding (a step of 2^-15, noise ~98 dB below
// full scale) is far under any line's or microphone's noise floor. It halves the
// largest per-call buffer of a live server (see benchmarks/serve_load.sh).
//
// A track may also bring gaps: stretches of its time without audio (a declared
// pause, a discarded stretch, lost packets), each as its length. A gap waits in the
// track's queue as a marker, not as samples. Where every track is in a gap (or has
// ended, or has nothing yet), the joiner hands the session one gap of that length
// (on_gap(frames, kind)) — the same cost for a second or an hour; where another
// track has audio, the gapped track's channels are silence in the frames.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dsp/resampler.h"
#include "dsp/thread_scratch.h"
#include "dsp/stream_gap.h"
#include "features/speaker_role.h"

namespace tw::pipeline {

/// One input track: its sample rate and the role of each of its channels (interleaved).
struct LiveTrack {
  int sample_rate_hz = 8000;
  std::vector<features::SpeakerRole> roles;
};

/// What the joiner did to keep the tracks in step, per track.
struct JoinCounters {
  std::uint64_t stall_fill_frames = 0;   ///< analysis-rate frames of silence put in for a lagging track
  std::uint64_t late_dropped_frames = 0; ///< analysis-rate frames that arrived for time already filled
};

class TrackJoiner {
 public:
  static constexpr int kMaxTracks = 2;
  /// Largest block the joiner converts or emits at once (analysis-rate frames).
  static constexpr std::size_t kChunkFrames = 512;

  /// The session's channels are the tracks' roles, caller first (caller-left, as a
  /// recording is laid out). Throws std::invalid_argument for no tracks, more than
  /// two channels in all, a role twice, a rate outside 8-192 kHz, or a bad skew.
  TrackJoiner(std::vector<LiveTrack> tracks, double max_skew_s);

  /// The session's roles in channel order.
  const std::vector<features::SpeakerRole>& roles() const noexcept { return roles_; }
  std::size_t channels() const noexcept { return roles_.size(); }
  std::size_t tracks() const noexcept { return tracks_.size(); }

  /// The next contiguous samples of `track` (interleaved over its channels, at its
  /// rate). Calls on_frames(std::span<const float> interleaved) with every whole
  /// output frame that is now complete, and on_gap(std::int64_t frames, dsp::GapKind)
  /// for every stretch where all tracks are in a gap. One thread.
  template <class OnFrames, class OnGap>
  void push(std::size_t track, std::span<const float> samples, OnFrames&& on_frames, OnGap&& on_gap) {
    Track& t = tracks_[track];
    const std::size_t piece = kChunkFrames * t.channel_map.size();
    // In pieces, so that a track's queue never holds more than max_skew plus one piece.
    for (std::size_t at = 0; at < samples.size(); at += piece) {
      t.resampler.process(samples.subspan(at, std::min(piece, samples.size() - at)), [&](std::span<const float> converted) {
        take(t, converted);
        emit(on_frames, on_gap, false);
      });
    }
  }

  /// Whether `track` takes 16-bit samples as they are (push_pcm16): it is at the
  /// analysis rate, so its queue holds what it is given.
  bool takes_pcm16(std::size_t track) const noexcept { return tracks_[track].resampler.is_passthrough(); }
  /// As push(), with 16-bit samples, for a track that takes_pcm16(): a network leg's
  /// audio goes into the queue as it came, without a round trip through float.
  template <class OnFrames, class OnGap>
  void push_pcm16(std::size_t track, std::span<const std::int16_t> samples, OnFrames&& on_frames, OnGap&& on_gap) {
    Track& t = tracks_[track];
    const std::size_t piece = kChunkFrames * t.channel_map.size();
    for (std::size_t at = 0; at < samples.size(); at += piece) {
      take(t, samples.subspan(at, std::min(piece, samples.size() - at)));
      emit(on_frames, on_gap, false);
    }
  }

  /// A gap of `frames` frames (at the track's rate) in `track`, after the samples
  /// pushed so far. Constant time and memory whatever its length; the session sees
  /// it through on_gap where every track is in a gap, as silence elsewhere. A gap
  /// for time the joiner already filled with silence (a stalled track) pays that
  /// back first (it is neither dropped audio nor counted). Real-time safe.
  template <class OnFrames, class OnGap>
  void gap(std::size_t track, std::int64_t frames, dsp::GapKind kind, OnFrames&& on_frames, OnGap&& on_gap) {
    add_gap(tracks_[track], frames, kind);
    emit(on_frames, on_gap, false);
  }

  /// `track` has ended: from now on it is silence wherever the others have audio.
  template <class OnFrames, class OnGap>
  void end_track(std::size_t track, OnFrames&& on_frames, OnGap&& on_gap) {
    Track& t = tracks_[track];
    if (t.ended) return;
    t.resampler.flush([&](std::span<const float> converted) {
      take(t, converted);
      emit(on_frames, on_gap, false);
    });
    t.ended = true;
    // Where its own time ends: what it has queued, less silence already put in for it.
    t.left_at = frames_out_ + t.queued() - t.debt_frames;
    emit(on_frames, on_gap, false);
  }

  /// End of the call: ends every track and emits everything that is left.
  template <class OnFrames, class OnGap>
  void finish(OnFrames&& on_frames, OnGap&& on_gap) {
    for (std::size_t i = 0; i < tracks_.size(); ++i) end_track(i, on_frames, on_gap);
    emit(on_frames, on_gap, true);
  }

  // Callers whose inputs never have gaps (sound devices, files).
  template <class OnFrames>
  void push(std::size_t track, std::span<const float> samples, OnFrames&& on_frames) {
    push(track, samples, on_frames, [&](std::int64_t n, dsp::GapKind) { gap_as_silence(n, on_frames); });
  }
  template <class OnFrames>
  void end_track(std::size_t track, OnFrames&& on_frames) {
    end_track(track, on_frames, [&](std::int64_t n, dsp::GapKind) { gap_as_silence(n, on_frames); });
  }
  template <class OnFrames>
  void finish(OnFrames&& on_frames) {
    finish(on_frames, [&](std::int64_t n, dsp::GapKind) { gap_as_silence(n, on_frames); });
  }

  /// Whether `track` has ended.
  bool ended(std::size_t track) const noexcept { return tracks_[track].ended; }
  /// The output frame where an ended track's last frame is (where its party left), or -1.
  std::int64_t left_at(std::size_t track) const noexcept { return tracks_[track].left_at; }

  /// `track`'s party is not on the call (yet): the track is silence and holds up
  /// nothing, as an ended one, until join(). Before any push.
  void set_absent(std::size_t track) noexcept { tracks_[track].absent = true; }
  bool absent(std::size_t track) const noexcept { return tracks_[track].absent; }
  /// The absent `track` joins now, at `rate_hz` (its converter is rebuilt if the rate
  /// differs: it allocates, once per join). Its first sample lines up with the newest
  /// audio of the tracks already there — it arrives now, as theirs did — and the time
  /// before is its silence. Returns the output frame where it begins.
  std::int64_t join(std::size_t track, int rate_hz);

  /// Frames handed to the session so far.
  std::int64_t frames_out() const noexcept { return frames_out_; }
  const JoinCounters& counters(std::size_t track) const noexcept { return tracks_[track].counters; }

 private:
  // A gap waiting in a track's queue, after `audio_before` frames of audio that
  // follow the previous marker (or the queue's head, for the first).
  struct Marker {
    std::size_t audio_before = 0;
    std::int64_t frames = 0;
    dsp::GapKind kind = dsp::GapKind::lost;
  };
  static constexpr std::size_t kMaxMarkers = 32;

  struct Track {
    Track(dsp::Resampler r, int rate) : resampler(std::move(r)), rate_hz(rate) {}
    dsp::Resampler resampler;
    int rate_hz;
    std::vector<int> channel_map;  // track channel -> session channel
    std::vector<std::int16_t> fifo;  // analysis-rate frames waiting for the other track, a ring
    std::size_t head = 0, size = 0, capacity_frames = 0;
    std::int64_t debt_frames = 0;  // silence put in for this track that its late audio must pay back
    bool ended = false;
    bool absent = false;         // the party is not on the call (yet)
    std::int64_t left_at = -1;   // output frame after the track's last, once ended
    JoinCounters counters;
    std::array<Marker, kMaxMarkers> markers{};
    std::size_t marker_head = 0, marker_count = 0;
    std::size_t audio_since_marker = 0;  // audio queued after the last marker
    std::int64_t gap_frames = 0;         // frames of the queued markers
    std::int64_t trailing_gap = 0;       // of them, those no audio has followed yet
    std::int64_t gap_remainder = 0;      // rate conversion of gap lengths: input frames x 8000 not yet whole
    Marker& front() noexcept { return markers[marker_head]; }
    bool in_gap() const noexcept { return marker_count > 0 && markers[marker_head].audio_before == 0; }
    // Audio frames that can be taken before the next gap.
    std::size_t audio_run() const noexcept { return marker_count > 0 ? markers[marker_head].audio_before : size; }
    std::int64_t queued() const noexcept { return static_cast<std::int64_t>(size) + gap_frames; }
  };

  void take(Track& t, std::span<const float> converted);
  void take(Track& t, std::span<const std::int16_t> samples);
  template <class Sample>
  void take_samples(Track& t, std::span<const Sample> in);
  void add_gap(Track& t, std::int64_t frames, dsp::GapKind kind) noexcept;
  void consume_gap(Track& t, std::int64_t frames) noexcept;
  // Silence into the output block for a track's channels.
  void silence_into(const Track& t, std::size_t frames) noexcept;

  // The interleaved output block: scratch of the running thread (dsp/thread_scratch.h),
  // filled and handed on within one call.
  struct OutBlockUse;
  using OutBlock = dsp::ThreadScratch<float, OutBlockUse>;
  std::span<float> out_block() const noexcept { return OutBlock::get(kChunkFrames * roles_.size()); }

  template <class OnFrames>
  void gap_as_silence(std::int64_t frames, OnFrames& on_frames) {
    const std::span<float> out = out_block();
    std::fill(out.begin(), out.end(), 0.0f);
    while (frames > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(frames, kChunkFrames));
      on_frames(std::span<const float>(out.data(), n * roles_.size()));
      frames -= static_cast<std::int64_t>(n);
    }
  }
  // Frames every track can give now (a stalled track counts as able once the others are max_skew ahead).
  std::size_t ready_frames(bool at_end);
  void pop_into(Track& t, std::size_t frames);
  // Two mono tracks that both have `frames` of audio queued: popped into the block
  // together, which interleaves in one vectorized pass where a track at a time
  // stores every other float. Returns false (nothing done) for any other case.
  bool pop_pair_into(std::size_t frames) noexcept;
  // A track's queue after `frames` of its audio went into the block.
  static void advance(Track& t, std::size_t frames) noexcept;
  static void rewind_if_empty(Track& t) noexcept;

  template <class OnFrames, class OnGap>
  void emit(OnFrames& on_frames, OnGap& on_gap, bool at_end) {
    for (std::size_t n; (n = ready_frames(at_end)) > 0;) {
      // What each track has at the front: a gap, audio, or nothing (ended, or
      // stalled and filled). The step ends where any of them changes.
      bool audio = false, empty_live = false, gapped = false;
      dsp::GapKind kind = dsp::GapKind::lost;
      std::size_t step = n;
      for (Track& t : tracks_) {
        if (t.in_gap()) {
          gapped = true;
          step = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(step), t.front().frames));
          if (dsp::declared(t.front().kind)) kind = t.front().kind;
        } else if (t.audio_run() > 0) {
          audio = true;
          step = std::min(step, t.audio_run());
        } else if (!t.ended && !t.absent) {
          empty_live = true;
        }
      }
      if (gapped && !audio) {
        // Nobody is heard: the whole call is in a gap for `step` frames. A live track
        // with nothing yet owes that time (its own gap or late audio pays it back).
        for (Track& t : tracks_) {
          if (t.in_gap()) {
            consume_gap(t, static_cast<std::int64_t>(step));
          } else if (!t.ended && !t.absent) {
            t.debt_frames += static_cast<std::int64_t>(step);
          }
        }
        (void)empty_live;
        on_gap(static_cast<std::int64_t>(step), kind);
        frames_out_ += static_cast<std::int64_t>(step);
        continue;
      }
      step = std::min(step, kChunkFrames);
      if (pop_pair_into(step)) {
        on_frames(std::span<const float>(out_block().data(), step * roles_.size()));
        frames_out_ += static_cast<std::int64_t>(step);
        continue;
      }
      for (Track& t : tracks_) {
        if (t.in_gap()) {
          silence_into(t, step);
          consume_gap(t, static_cast<std::int64_t>(step));
        } else {
          pop_into(t, step);
        }
      }
      on_frames(std::span<const float>(out_block().data(), step * roles_.size()));
      frames_out_ += static_cast<std::int64_t>(step);
    }
  }

  std::vector<features::SpeakerRole> roles_;
  std::vector<Track> tracks_;
  std::size_t max_skew_frames_;
  std::int64_t frames_out_ = 0;
};

}  // namespace tw::pipeline
