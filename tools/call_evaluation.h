#pragma once
// Scores detected events against a composed call's ground truth: what should
// have been detected (from the script's timeline), what was, and how late.

#include <map>
#include <string>
#include <vector>

#include "alerts/event.h"
#include "tools/call_composer.h"

namespace tw::tools {

/// Something the detectors should report, with the window a detection may fall in.
struct ExpectedEvent {
  /// caller_agitation, interruption, agent_raised_voice, agent_fast_speech,
  /// agent_slow_speech, agent_monotone, dead_air
  std::string category;
  std::string speaker;    ///< who: the caller, the interrupter, the agent; "" for dead air
  /// For an interruption the one talked over gave way to: the detection must say
  /// so (details.yielded); empty = not checked.
  std::string yielded;
  double onset_s = 0.0;   ///< when the truth says it began (latency is measured from here)
  double end_s = 0.0;     ///< when it ended
  bool must_detect = true;  ///< false: ambiguous in the truth; a detection is neither hit nor false alarm
  std::string note;
};

/// How the truth is turned into expected events. The thresholds mirror the
/// product's definitions, with a margin either side that is "don't care".
struct TruthRules {
  /// Caller anger: a run of consecutive angry caller utterances with this much
  /// speech (a single 2-3 s angry turn must be flagged).
  double agitation_min_speech_s = 2.0;
  /// A detection up to this long after the run ended still belongs to it (smoothing lag).
  double agitation_grace_s = 12.0;
  /// Overlaps at least this long must be reported as interruptions. Shorter ones
  /// must be too when the one talked over gave way after at least
  /// yield_min_overlap_s and the newcomer's turn outlasted backchannel_max_s (and
  /// the report must name who yielded); an overlapping turn no longer than a
  /// backchannel, with the other talking on, must not be; the rest is ambiguous.
  double interruption_min_overlap_s = 1.5;
  double yield_min_overlap_s = 0.25;
  double backchannel_max_s = 1.0;
  /// The agent's pace: runs of agent turns time-scaled by at least this factor
  /// (or at most its inverse) with pace_min_speech_s of speech; detected past the
  /// rule's own sustain time (a pace must hold pace_sustain_s), within pace_grace_s.
  /// Three short turns at another pace (4 s of speech at 1.5x) are a run a supervisor
  /// must hear about within those turns (issue 27).
  double pace_tempo = 1.25;
  double pace_min_speech_s = 4.0;
  double pace_sustain_s = 5.0;
  double pace_grace_s = 10.0;
  /// Monotone agent turns with this much speech; detected past monotone_sustain_s.
  double monotone_min_speech_s = 20.0;
  double monotone_sustain_s = 10.0;
  double monotone_grace_s = 15.0;
  /// The agent shouting: consecutive raised agent utterances (angry, or gain >= raised_gain_db)
  /// with this much speech.
  double raised_gain_db = 6.0;
  double raised_min_speech_s = 3.0;
  double raised_grace_s = 8.0;
  /// Silences at least this long are dead air (onset = start + dead_air_s); between
  /// dead_air_s - 1 and this they are ambiguous.
  double dead_air_s = 5.0;
  double dead_air_margin_s = 1.0;
  /// Detections this long before an onset still count (window centring).
  double early_s = 1.0;
};

std::vector<ExpectedEvent> expected_events(const CallTruth& truth, const TruthRules& rules = {});

/// The truth category a detected event belongs to, or "" if it is not scored
/// (closing events, stage changes, notes).
std::string detection_category(const alerts::Event& event);

struct CategoryScore {
  int expected = 0;      ///< must-detect truths
  int detected = 0;      ///< ... of them matched by a detection
  int false_alarms = 0;  ///< detections matching no truth of their category
  int true_detections = 0;
  std::vector<double> latencies_s;  ///< first matching detection minus onset
};

struct CallScore {
  std::map<std::string, CategoryScore> categories;
  int alerts = 0;            ///< supervisor alerts raised
  int warnings = 0;          ///< events of warning or critical severity
  /// Caller-agitation events and escalation or relapse alerts, matched or not
  /// (on a calm call, every one is a false alarm a supervisor would see).
  int caller_agitation = 0;
  std::vector<std::string> misses, false_alarm_notes;
};

/// Matches detections to expected events (each expected event counts once; all
/// detections inside a matched window are true detections).
CallScore score_call(const std::vector<ExpectedEvent>& expected, const std::vector<alerts::Event>& detected,
                     const TruthRules& rules = {});

struct SuiteScore {
  CategoryScore total;
  std::map<std::string, CategoryScore> categories;
  double recall() const;
  double precision() const;
  double median_latency_s() const;
};

/// Pools call scores.
SuiteScore pool(const std::vector<CallScore>& calls);
double recall(const CategoryScore& s);
double precision(const CategoryScore& s);
double median(std::vector<double> values);

}  // namespace tw::tools
