#pragma once
// The analysis side of a live call: polls its live inputs (sound devices, network
// legs, a file played at real-time pace), reads them in turns into a TrackJoiner,
// and hands whole analysis-rate frames on (to a CallSession). Ends a track when its
// input has drained and the call when every track has. The server's LiveCall and
// `tonewatch live` both drive one of these from their analysis thread.
//
// Inputs on independent clocks (two sound devices) can also be kept in step against
// the steady clock: each input's real rate is measured (ClockDriftEstimator) and,
// once the relative drift between the two is established, single frames of the
// second input are dropped or repeated so that it follows the first from the call's
// start — a slip of one sample every 1/drift samples (every 1.25 s at 100 ppm and
// 8 kHz), far below anything pitch, loudness or speaking rate can see, where the
// joiner alone would let the tracks slide apart (6 ms a minute at 100 ppm, which
// shifts overlaps and interruptions) until it had to fill max_skew of silence.

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/thread_scratch.h"
#include "io/live_input.h"
#include "pipeline/clock_drift.h"
#include "pipeline/track_joiner.h"

namespace tw::pipeline {

struct PumpOptions {
  /// A track this far behind the others is filled with silence (TrackJoiner).
  double max_skew_s = 0.5;
  /// Measure each input's clock and slip frames of the second input to follow the
  /// first (two sound devices). Off for inputs paced by one sender.
  bool correct_drift = false;
  /// The drift is acted on once measured over this long ... (30 s: the least-squares
  /// slope's error falls as T^-1.5, so it is five times smaller than at 10 s, while
  /// 30 s of a typical 100 ppm drift slides the tracks by only 3 ms, under one hop)
  double drift_settle_s = 30.0;
  /// ... and when it exceeds both this and three standard errors. 20 ppm slides the
  /// tracks 12 ms over a ten-minute call, about one 10 ms hop: less is not worth a
  /// slip, and two devices on one clock (two sources of one sound server) measure a
  /// few ppm apart from callback-timing noise that is correlated over seconds, which
  /// the least-squares standard error underestimates. Once followed, the drift is
  /// followed to the end of the call at the latest estimate (which may fall back
  /// towards zero and undo slips), never switched off and on. A larger relative
  /// drift than kMaxCorrectionPpm is reported but not followed (a wrong nominal rate,
  /// not a clock: slipping would mangle the audio).
  double drift_min_ppm = 20.0;
  static constexpr double kMaxCorrectionPpm = 2000.0;
};

/// One input's story, for the summary.
struct PumpInputCounters {
  std::uint64_t frames_read = 0;        ///< input-rate frames taken from the input
  std::uint64_t gap_frames = 0;         ///< input-rate frames of gaps taken from the input
  std::uint64_t drift_dropped_frames = 0;   ///< input-rate frames dropped to follow the reference clock
  std::uint64_t drift_repeated_frames = 0;  ///< input-rate frames repeated to follow it
  JoinCounters join;                    ///< what the joiner filled and dropped for this track
  DriftEstimate clock;                  ///< the input's measured rate (if it keeps a clock)
};

class LivePump {
 public:
  /// Frames read from one input at once (bounded scratch: 4 KiB per channel, as the
  /// server's per-call memory budget asks).
  static constexpr std::size_t kReadFrames = 512;

  /// `inputs` (one or two, outliving the pump) with the roles of their channels, at
  /// their own rates. An input may be null: its party is not on the call yet (it
  /// joins with attach()); it is taken at the first input's rate until then. Throws std::invalid_argument as TrackJoiner does, or when an
  /// input's channel count differs from its roles.
  LivePump(std::vector<io::LiveInput*> inputs, const std::vector<std::vector<features::SpeakerRole>>& roles,
           const PumpOptions& options);

  /// Reads everything the inputs have, in turns of the same duration each — at most
  /// kReadFrames of the fastest input, proportionally fewer of a slower one — so the
  /// joiner sees them arrive side by side (only an input that really has nothing
  /// falls behind, never one read at a lower rate), and calls on_frames(std::span<const float> interleaved) with each
  /// joined block. Ends a track once its input has drained, or every track when
  /// `stopping`; once all have ended, emits the rest and is finished. Returns a bit
  /// mask of the inputs that gave audio. Analysis thread only.
  ///
  /// An input's gaps (io::LiveInput::take_gap) go to the joiner as gaps, and where the
  /// whole call is in one, on_gap(std::int64_t frames, dsp::GapKind) gets its length
  /// at the analysis rate: constant time for any length.
  ///
  /// on_ended(std::size_t input), if given, hears of each input that ended, as it
  /// ends (joiner().left_at(input) says where), before the others' audio after it is
  /// read.
  template <class OnFrames, class OnGap>
  std::uint32_t pump(bool stopping, OnFrames&& on_frames, OnGap&& on_gap) {
    return pump(stopping, on_frames, on_gap, [](std::size_t) {});
  }

  template <class OnFrames, class OnGap, class OnEnded>
  std::uint32_t pump(bool stopping, OnFrames&& on_frames, OnGap&& on_gap, OnEnded&& on_ended) {
    std::uint32_t gave = 0;
    if (finished_) return gave;
    const std::span<float> scratch = Scratch::get(scratch_samples_);
    const std::span<std::int16_t> pcm16_scratch = Pcm16Scratch::get(scratch_samples_);
    for (bool any = true; any;) {
      any = false;
      for (std::size_t i = 0; i < inputs_.size(); ++i) {
        if (done_[i] || inputs_[i] == nullptr) continue;
        const std::size_t channels = inputs_[i]->channels();
        // A network leg's 16-bit audio goes to a track at the analysis rate as it is
        // (never while this input's clock is being corrected: slip() works on floats).
        const bool pcm16 = inputs_[i]->holds_pcm16() && joiner_.takes_pcm16(i) && !(i == 1 && correcting_);
        std::size_t n = pcm16 ? inputs_[i]->read_pcm16(pcm16_scratch.first(turn_frames_[i] * channels))
                              : inputs_[i]->read(scratch.first(turn_frames_[i] * channels));
        if (n == 0) {
          dsp::StreamGap g;
          if (inputs_[i]->take_gap(g)) {
            counters_[i].gap_frames += static_cast<std::uint64_t>(g.frames);
            joiner_.gap(i, g.frames, g.kind, on_frames, on_gap);
            gave |= 1u << i;
            any = true;
          } else if (inputs_[i]->drained()) {
            // Ended now, not after the others have run on: its party left here.
            done_[i] = true;
            joiner_.end_track(i, on_frames, on_gap);
            on_ended(i);
          }
          continue;
        }
        counters_[i].frames_read += n;
        if (pcm16) {
          joiner_.push_pcm16(i, std::span<const std::int16_t>(pcm16_scratch.data(), n * channels), on_frames, on_gap);
          gave |= 1u << i;
          any = true;
          continue;
        }
        n = slip(i, n, scratch);
        joiner_.push(i, std::span<const float>(scratch.data(), n * channels), on_frames, on_gap);
        gave |= 1u << i;
        any = true;
      }
    }
    bool all_done = true;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i] == nullptr) continue;  // a party who never joined keeps nobody waiting
      if (!done_[i] && (stopping || inputs_[i]->drained())) {
        done_[i] = true;
        joiner_.end_track(i, on_frames, on_gap);
        on_ended(i);
      }
      all_done = all_done && done_[i];
    }
    measure_clocks();
    if (all_done) {
      joiner_.finish(on_frames, on_gap);
      finished_ = true;
    }
    return gave;
  }

  /// For inputs that never have gaps (sound devices, a file played live).
  template <class OnFrames>
  std::uint32_t pump(bool stopping, OnFrames&& on_frames) {
    return pump(stopping, on_frames, [&](std::int64_t frames, dsp::GapKind) {
      static constexpr std::array<float, 2 * TrackJoiner::kChunkFrames> kSilence{};
      const std::size_t channels = joiner_.channels();
      while (frames > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::int64_t>(frames, TrackJoiner::kChunkFrames));
        on_frames(std::span<const float>(kSilence.data(), n * channels));
        frames -= static_cast<std::int64_t>(n);
      }
    });
  }

  /// Input `i` was given as null (its party not on the call yet): it joins now with
  /// `input` (outliving the pump; same channels as its roles). Returns the analysis
  /// frame where its audio begins. Analysis thread only; allocates once.
  std::int64_t attach(std::size_t i, io::LiveInput* input);
  /// Whether input `i` is still waiting for its party.
  bool absent(std::size_t i) const noexcept { return inputs_[i] == nullptr; }

  /// Every track has ended and everything is emitted.
  bool finished() const noexcept { return finished_; }
  const TrackJoiner& joiner() const noexcept { return joiner_; }
  std::size_t inputs() const noexcept { return inputs_.size(); }
  /// The session's roles, caller first.
  const std::vector<features::SpeakerRole>& roles() const noexcept { return joiner_.roles(); }
  /// Counters of input `i` (joiner counters and clock estimate included).
  PumpInputCounters counters(std::size_t i) const;
  /// Drift of input 1 against input 0 (ppm; positive: input 1 runs fast), and its
  /// standard error; zeros with one input or no clocks.
  double relative_drift_ppm() const noexcept { return relative_ppm_; }
  double relative_drift_stderr_ppm() const noexcept { return relative_stderr_ppm_; }
  /// Whether the relative drift is being followed now.
  bool correcting_drift() const noexcept { return correcting_; }

 private:
  // Drops or repeats frames of input i's n fresh frames in `scratch` to follow the
  // reference clock; returns the new frame count.
  std::size_t slip(std::size_t i, std::size_t n, std::span<float> scratch) noexcept;
  void measure_clocks() noexcept;

  std::vector<io::LiveInput*> inputs_;
  PumpOptions options_;
  TrackJoiner joiner_;
  // The frames read in one turn: scratch of the running thread (dsp/thread_scratch.h),
  // kReadFrames + slack frames of the widest input.
  struct ScratchUse;
  using Scratch = dsp::ThreadScratch<float, ScratchUse>;
  struct Pcm16ScratchUse;
  using Pcm16Scratch = dsp::ThreadScratch<std::int16_t, Pcm16ScratchUse>;
  std::size_t scratch_samples_ = 0;
  std::vector<std::size_t> turn_frames_;  // frames read from each input per turn (the same duration)
  std::vector<bool> done_;
  bool finished_ = false;
  std::vector<PumpInputCounters> counters_;
  std::vector<ClockDriftEstimator> clocks_;
  double relative_ppm_ = 0.0, relative_stderr_ppm_ = 0.0;
  int fastest_hz_ = 8000;
  bool correcting_ = false;      // input 1 follows input 0's clock (from the call's start)
  double correction_ppm_ = 0.0;  // the drift it follows now
};

}  // namespace tw::pipeline
