#pragma once
// Keeps one track's stream sample-exact when the platform stamps its chunks
// with a time: lost audio becomes counted silence, late or repeated audio is
// dropped and counted, so sample n of the output is always time n / rate.

#include <cstdint>

namespace tw::telephony {

/// Where a chunk that claims to start at `start_sample` goes in the output.
struct Placement {
  enum class Kind {
    accept,     ///< emit gap_samples of silence from first_sample, then the chunk from skip_samples on
    drop_late,  ///< the whole chunk lies in audio already delivered (late or duplicate): drop it
    jump,       ///< the chunk lies more than the maximum gap ahead: refuse the stream
  };
  Kind kind = Kind::accept;
  std::int64_t first_sample = 0;  ///< output position of the first emitted sample (silence or audio)
  std::int64_t gap_samples = 0;   ///< silence to insert before the chunk
  std::int64_t skip_samples = 0;  ///< leading samples of the chunk already delivered (overlap)
};

/// Sample clock of one track. One instance per track; real-time safe; never throws.
class TrackAligner {
 public:
  /// tolerance_samples: a chunk within this distance of the expected position is
  /// taken as contiguous (timestamps in whole milliseconds cannot be sample-exact);
  /// max_gap_samples: the largest hole filled with silence; beyond it, Kind::jump.
  TrackAligner(std::int64_t tolerance_samples, std::int64_t max_gap_samples) noexcept
      : tolerance_(tolerance_samples < 0 ? 0 : tolerance_samples), max_gap_(max_gap_samples < 0 ? 0 : max_gap_samples) {}

  /// Places a chunk of `length` samples stamped at `start_sample` and advances the
  /// clock past whatever of it is accepted. A length of 0 moves the clock forward
  /// to a reported position (silence fills the hole) without audio.
  Placement place(std::int64_t start_sample, std::int64_t length) noexcept {
    Placement p;
    p.first_sample = next_;
    const std::int64_t delta = start_sample - next_;
    if (delta > tolerance_) {
      if (delta > max_gap_) {
        p.kind = Placement::Kind::jump;
        return p;
      }
      p.gap_samples = delta;
    } else if (delta < -tolerance_) {
      const std::int64_t overlap = -delta;
      if (length == 0 || overlap >= length) {
        p.kind = Placement::Kind::drop_late;
        return p;
      }
      p.skip_samples = overlap;
    }
    next_ += p.gap_samples + (length - p.skip_samples);
    return p;
  }

  /// Moves the clock forward to `start_sample`, where the platform says the stream
  /// goes on after a stretch it declared (a pause, a discarded stretch): no maximum
  /// applies, since the platform vouches for the gap. A position at or behind the
  /// clock (within tolerance) moves nothing (gap_samples 0).
  Placement declare_gap_to(std::int64_t start_sample) noexcept {
    Placement p;
    p.first_sample = next_;
    const std::int64_t delta = start_sample - next_;
    if (delta > tolerance_) {
      p.gap_samples = delta;
      next_ += delta;
    }
    return p;
  }

  /// Advances the clock by audio that carries no timestamp of its own.
  void advance(std::int64_t samples) noexcept { next_ += samples; }
  /// Position of the next sample the track expects.
  std::int64_t next_sample() const noexcept { return next_; }
  /// Behaves like a fresh instance afterwards.
  void reset() noexcept { next_ = 0; }

 private:
  std::int64_t tolerance_;
  std::int64_t max_gap_;
  std::int64_t next_ = 0;
};

}  // namespace tw::telephony
