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

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dsp/resampler.h"
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
  /// output frame that is now complete. One thread.
  template <class OnFrames>
  void push(std::size_t track, std::span<const float> samples, OnFrames&& on_frames) {
    Track& t = tracks_[track];
    const std::size_t piece = kChunkFrames * t.channel_map.size();
    // In pieces, so that a track's queue never holds more than max_skew plus one piece.
    for (std::size_t at = 0; at < samples.size(); at += piece) {
      t.resampler.process(samples.subspan(at, std::min(piece, samples.size() - at)), [&](std::span<const float> converted) {
        take(t, converted);
        emit(on_frames, false);
      });
    }
  }

  /// `track` has ended: from now on it is silence wherever the others have audio.
  template <class OnFrames>
  void end_track(std::size_t track, OnFrames&& on_frames) {
    Track& t = tracks_[track];
    if (t.ended) return;
    t.resampler.flush([&](std::span<const float> converted) {
      take(t, converted);
      emit(on_frames, false);
    });
    t.ended = true;
    emit(on_frames, false);
  }

  /// End of the call: ends every track and emits everything that is left.
  template <class OnFrames>
  void finish(OnFrames&& on_frames) {
    for (std::size_t i = 0; i < tracks_.size(); ++i) end_track(i, on_frames);
    emit(on_frames, true);
  }

  /// Whether `track` has ended.
  bool ended(std::size_t track) const noexcept { return tracks_[track].ended; }

  /// Frames handed to the session so far.
  std::int64_t frames_out() const noexcept { return frames_out_; }
  const JoinCounters& counters(std::size_t track) const noexcept { return tracks_[track].counters; }

 private:
  struct Track {
    explicit Track(dsp::Resampler r) : resampler(std::move(r)) {}
    dsp::Resampler resampler;
    std::vector<int> channel_map;  // track channel -> session channel
    std::vector<std::int16_t> fifo;  // analysis-rate frames waiting for the other track, a ring
    std::size_t head = 0, size = 0, capacity_frames = 0;
    std::int64_t debt_frames = 0;  // silence put in for this track that its late audio must pay back
    bool ended = false;
    JoinCounters counters;
  };

  void take(Track& t, std::span<const float> converted);
  // Frames every track can give now (a stalled track counts as able once the others are max_skew ahead).
  std::size_t ready_frames(bool at_end);
  void pop_into(Track& t, std::size_t frames);

  template <class OnFrames>
  void emit(OnFrames& on_frames, bool at_end) {
    for (std::size_t n; (n = ready_frames(at_end)) > 0;) {
      n = std::min(n, kChunkFrames);
      for (Track& t : tracks_) pop_into(t, n);
      on_frames(std::span<const float>(out_.data(), n * roles_.size()));
      frames_out_ += static_cast<std::int64_t>(n);
    }
  }

  std::vector<features::SpeakerRole> roles_;
  std::vector<Track> tracks_;
  std::size_t max_skew_frames_;
  std::vector<float> out_;  // interleaved output block
  std::int64_t frames_out_ = 0;
};

}  // namespace tw::pipeline
