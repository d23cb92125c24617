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
  std::string category;   ///< caller_agitation, interruption, agent_raised_voice, dead_air
  std::string speaker;    ///< who: the caller, the interrupter, the agent; "" for dead air
  double onset_s = 0.0;   ///< when the truth says it began (latency is measured from here)
  double end_s = 0.0;     ///< when it ended
  bool must_detect = true;  ///< false: ambiguous in the truth; a detection is neither hit nor false alarm
  std::string note;
};

/// How the truth is turned into expected events. The thresholds mirror the
/// product's definitions, with a margin either side that is "don't care".
struct TruthRules {
  /// Caller anger: a run of consecutive angry caller utterances with this much speech.
  double agitation_min_speech_s = 4.0;
  /// A detection up to this long after the run ended still belongs to it (smoothing lag).
  double agitation_grace_s = 12.0;
  /// Overlaps at least this long must be reported as interruptions; shorter ones
  /// down to backchannel_max_s are ambiguous; shorter still must not be.
  double interruption_min_overlap_s = 1.5;
  double backchannel_max_s = 0.6;
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
