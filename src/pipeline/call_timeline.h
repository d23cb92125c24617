#pragma once
// What a call looked like second by second: the data behind the report.

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "alerts/event.h"
#include "detect/deescalation_stage.h"

namespace tw::pipeline {

/// One speaker's second.
struct SpeakerSecond {
  double time_s = 0.0;
  bool scored = false;        ///< enough speech in the window to score
  float agitation = 0.0f;     ///< smoothed agitation score
  float score = 0.0f;         ///< this window's score
  float speech_s = 0.0f;      ///< voice-active time in the 3 s window
  float loudness_db = NAN;
  float f0_median_hz = NAN;
  float speaking_rate_syl_per_s = NAN;
  bool baseline_established = false;
};

struct Interval {
  double start_s = 0.0;
  double end_s = 0.0;
  std::string label;  ///< e.g. who overlapped
};

struct StageSpan {
  detect::Stage stage = detect::Stage::calm;
  double start_s = 0.0;
  double end_s = 0.0;
};

/// When a party was on the call. A live call's parties come and go: one may join a
/// call in progress (an agent answering after the queue) or leave before the other
/// (hang up). A recording's parties are there from start to end.
struct Party {
  std::string role;
  double joined_s = 0.0;  ///< when the party's audio began; NaN if it never joined
  double left_s = NAN;    ///< when the party left before the call ended; NaN if it stayed to the end
};

struct CallTimeline {
  std::string call_id;
  double duration_s = 0.0;
  std::vector<std::string> roles;  ///< speakers present, in channel order
  std::vector<SpeakerSecond> caller, agent;
  std::vector<StageSpan> stages;
  std::vector<Interval> overlaps;  ///< both voice-active
  std::vector<Interval> silences;  ///< both silent for at least 2 s
  /// Stretches without audio: label "paused" or "discarded" (the platform declared
  /// them: a hold, a secure pause) or "lost" (audio that never came). Nothing in them
  /// is dead air or silence; stream time runs through them.
  std::vector<Interval> gaps;
  /// The parties, caller first; only calls where one joined late or left early
  /// (moved() says so) report them.
  std::vector<Party> parties;
  bool parties_moved() const noexcept {
    for (const Party& p : parties) {
      if (!(p.joined_s == 0.0) || !std::isnan(p.left_s)) return true;
    }
    return false;
  }
  std::vector<alerts::Event> events;
  int escalations = 0;
  int relapses = 0;
  /// Interruptions by the caller [0] and by the agent [1].
  std::array<int, 2> interruptions{};
  /// The channels were found to carry one signal and analysed as one mixed speaker.
  bool channels_identical = false;
  float channel_correlation = NAN;
  /// Conditions of the recording a reader should know about (channel problems).
  std::vector<std::string> warnings;
  double time_to_calm_s = -1.0;
};

}  // namespace tw::pipeline
