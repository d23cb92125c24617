#pragma once
// Who holds the floor, overlaps and interruptions, dead air and monologues,
// from both speakers' voice activity, hop by hop.

#include <array>
#include <cstdint>

#include "features/speaker_role.h"

namespace tw::detect {

struct TurnTakingConfig {
  /// A pause shorter than this does not end a turn.
  double turn_pause_bridge_s = 0.7;
  /// Cutting in: the other speaker is talking at that moment (voice-active within
  /// the last talking_now_s) and their turn has lasted at least mid_turn_min_s
  /// (both starting together is not an interruption).
  double mid_turn_min_s = 0.25;
  double talking_now_s = 0.15;
  /// A turn shorter than this is a backchannel ("mm-hm", "yeah", "right": a
  /// token that acknowledges without claiming the floor; Yngve 1970, Schegloff
  /// 1982). It neither takes the floor nor, overlapping, interrupts.
  double backchannel_max_s = 1.0;
  /// Cutting in and taking the floor (Ferguson 1977's "simple interruption"):
  /// the one talked over stops within yield_within_s of the other's start while
  /// the newcomer talks on past a backchannel. Overlaps resolve fast, one party
  /// dropping out within a beat or two (Schegloff 2000), so a couple of seconds
  /// covers every give-up. The overlap must outlast yield_min_overlap_s, about
  /// one syllable (5 syl/s): a speaker who stops within their last syllable was
  /// finishing, not cut off (a terminal overlap, Jefferson 1986).
  double yield_within_s = 2.0;
  double yield_min_overlap_s = 0.25;
  /// Talking over each other this long is an interruption even if nobody gives way.
  double interruption_min_overlap_s = 1.0;
  /// Both sides silent this long is dead air.
  double dead_air_s = 5.0;
  /// The agent holding the floor this long without yielding is a monologue.
  /// The caller's backchannels (shorter than backchannel_max_s) do not take the floor.
  double monologue_s = 60.0;
  /// Floor shares are measured over this window (for the stage tracker).
  double floor_window_s = 15.0;
};

/// Per-hop events. At most one of each per hop.
struct TurnEvents {
  bool interruption = false;          ///< confirmed on this hop
  features::SpeakerRole interrupter = features::SpeakerRole::agent;
  double interruption_start_s = 0.0;  ///< when the overlapping turn started
  double interrupted_turn_s = 0.0;    ///< how long the interrupted speaker had been talking
  double overlap_s = 0.0;             ///< both talking at once since the interrupter started
  /// The interrupted speaker gave up the floor (stopped, and the interrupter
  /// talked on); false when both were still talking over each other.
  bool interrupted_yielded = false;
  bool dead_air_started = false, dead_air_ended = false;
  double dead_air_since_s = 0.0;
  bool monologue_started = false, monologue_ended = false;
  double monologue_since_s = 0.0;
};

class TurnTakingTracker {
 public:
  /// Throws std::invalid_argument for non-positive durations.
  explicit TurnTakingTracker(const TurnTakingConfig& config);
  /// One hop (10 ms) of both speakers' voice activity. Allocation-free.
  const TurnEvents& update(double time_s, bool caller_active, bool agent_active) noexcept;

  /// The call goes into a gap at `time_s` (a pause, a hold, lost audio): nothing is
  /// heard until end_gap(). Dead air and a monologue open now end here (the returned
  /// events say so); turns end. Allocation-free.
  const TurnEvents& begin_gap(double time_s) noexcept;
  /// The gap ended at `time_s`: silence counts from here, as at a call's start.
  void end_gap(double time_s) noexcept;

  bool in_turn(features::SpeakerRole role) const noexcept { return speaker(role).in_turn; }
  /// Fraction of the last floor_window_s each speaker was voice-active.
  float floor_share(features::SpeakerRole role) const noexcept;
  bool dead_air() const noexcept { return dead_air_open_; }
  bool monologue() const noexcept { return monologue_open_; }
  /// Seconds of the current agent turn (0 when not in one).
  double agent_turn_s(double time_s) const noexcept;
  void reset() noexcept;

 private:
  struct Speaker {
    bool in_turn = false;
    double turn_start_s = 0.0;
    double last_active_s = -1e9;
    bool overlap_candidate = false;   // started while the other was mid-turn
    bool started_in_pause = false;    // started while the other's turn was paused
    double overlap_s = 0.0;           // overlapped time of the candidate turn
    double other_turn_s = 0.0;
    std::int64_t active_hops_window = 0;
  };
  static constexpr std::size_t kMaxWindowHops = 6000;  // 60 s of hops

  Speaker& speaker(features::SpeakerRole role) noexcept { return speakers_[role == features::SpeakerRole::caller ? 0 : 1]; }
  const Speaker& speaker(features::SpeakerRole role) const noexcept {
    return speakers_[role == features::SpeakerRole::caller ? 0 : 1];
  }

  TurnTakingConfig config_;
  std::array<Speaker, 2> speakers_{};
  TurnEvents events_;
  double silent_since_s_ = 0.0;
  bool dead_air_open_ = false;
  bool monologue_open_ = false;
  double agent_floor_since_s_ = 0.0;
  double floor_returned_s_ = -1e9;  // last time the caller held the floor
  bool agent_holds_floor_ = false;
  // Floor-share ring: per hop, bit 0 caller active, bit 1 agent active.
  std::array<std::uint8_t, kMaxWindowHops> activity_{};
  std::size_t window_hops_ = 0, activity_next_ = 0, activity_count_ = 0;
};

}  // namespace tw::detect
