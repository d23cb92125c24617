#pragma once
// The agent's tone against their own baseline and against the caller.

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "detect/agitation_tracker.h"
#include "detect/episode_tracker.h"
#include "detect/evidence.h"

namespace tw::detect {

struct AgentToneConfig {
  /// Raised voice: loudness, pitch level and vocal effort rise together when a
  /// voice is raised, so their mean deviation from the agent's own baseline must
  /// reach open_units; closes below close_units.
  float raised_voice_open_units = 2.5f;
  float raised_voice_close_units = 1.0f;
  /// ... and loudness must not be clearly below baseline: a higher pitch in a
  /// quieter voice is intonation, not shouting. A raised voice is louder
  /// (Traunmueller & Eriksson 2000: level climbs with vocal effort), so the only
  /// margin below baseline is how far a window's median loudness wanders in
  /// steady speech: about 1.5 units. (It was 2.5: on the telephone band, pitch
  /// read an octave up on windows 2-4 dB quieter than baseline then passed as
  /// a raised voice, 14 false alarms in evaluate_calls --folds, 8 now.)
  float raised_voice_min_loudness_units = -1.5f;
  /// Each window already spans 3 s of speech, so 2 s more of consecutive
  /// windows means about 5 s of raised speech.
  EpisodeTiming raised_voice_timing{2.0, 3.0, 15.0};
  /// Raised voice is judged before the agent's baseline is established, against
  /// the register and the windows learned so far (issue 27: shouting 10-20 s in).
  bool raised_voice_while_learning = true;
  /// Fast / slow speech: the agent's pace over their last seconds of speech
  /// (AgitationConfig::pace_speech_s, whatever the turns: three short turns at another
  /// pace hold about 4 s, and the advice is turn by turn, issue 27) this many scale
  /// units from the agent's baseline ...
  float pace_open_units = 2.0f;
  /// Slow needs more: a calm pace's slow tail is longer than its fast one (phrase-
  /// final lengthening, hesitations), and at 2 units the calm IVR-voice agents of
  /// the evaluation drew 35 slow alarms against no fast one (issue 27).
  float pace_slow_open_units = 2.5f;
  float pace_close_units = 1.0f;
  /// ... and this far from the caller's pace (below; a fast agent
  /// matching an impatient caller is fine; slow is only a problem when the caller
  /// is faster).
  float pace_vs_caller_syl_per_s = 0.5f;
  /// The caller's pace is the median of their last this many readings (one a second
  /// while they speak). Each is already their pace over their last 4 s of speech
  /// (AgitationConfig::pace_speech_s), which holds a turn's phrase-final lengthening
  /// (Klatt 1975; Wightman et al. 1992) among ordinary syllables; a median of ten on
  /// top lagged the caller's own change of pace by seconds more than the agent's.
  std::size_t pace_caller_windows = 1;
  /// The pace holds still while the agent is silent, so the condition is held over
  /// the caller's turns: two seconds is a second reading, not 5 s of fast speech.
  EpisodeTiming pace_timing{2.0, 3.0, 20.0};
  /// The pace is the agent's only while they spoke this recently: longer silent (the
  /// caller holding the floor) and a pace episode closes, and none opens.
  float pace_recent_s = 10.0f;
  /// Monotone: over monotone_window_s, the agent's pitch range averages this many
  /// scale units below baseline (closes above half of it); loudness dynamics are
  /// reported beside it as evidence.
  float monotone_units = -1.5f;
  float monotone_window_s = 30.0f;
  std::size_t monotone_min_windows = 10;
  EpisodeTiming monotone_timing{10.0, 5.0, 60.0};
  /// The agent rules wait for the agent's own baseline (the population prior is
  /// not a fair reference for one person's normal voice).
  bool require_established_baseline = true;
};

enum class AgentRule : std::size_t { raised_voice, fast_speech, slow_speech, monotone, count };
inline constexpr std::size_t kAgentRuleCount = static_cast<std::size_t>(AgentRule::count);
inline constexpr const char* kAgentRuleNames[kAgentRuleCount] = {"agent_raised_voice", "agent_fast_speech",
                                                                   "agent_slow_speech", "agent_monotone"};

struct AgentRuleChange {
  AgentRule rule;
  EpisodeChange change;
  std::vector<Evidence> evidence;
};

class AgentToneRules {
 public:
  /// Throws std::invalid_argument naming a bad config field.
  explicit AgentToneRules(const AgentToneConfig& config);
  /// Once a second, after both speakers' trackers updated. Returns the episodes
  /// that opened or closed (usually none).
  const std::vector<AgentRuleChange>& update(double time_s, const AgitationTracker& agent,
                                             const AgitationTracker& caller);
  bool is_open(AgentRule rule) const noexcept { return episodes_[static_cast<std::size_t>(rule)].is_open(); }
  void reset() noexcept;

 private:
  Evidence feature_evidence(const AgitationTracker& tracker, Prosody p, double since_s) const;

  AgentToneConfig config_;
  std::array<EpisodeTracker, kAgentRuleCount> episodes_;
  std::vector<AgentRuleChange> changes_;
  // Monotone: ring of the agent's range deviations once a second.
  std::array<float, 128> f0_range_dev_{}, loudness_range_dev_{};
  std::array<bool, 128> scored_{};
  std::size_t ring_next_ = 0, ring_count_ = 0;
  // The caller's articulation rates as last measured, a ring (pace_caller_windows of it used).
  static constexpr std::size_t kMaxCallerWindows = 64;
  std::array<float, kMaxCallerWindows> caller_rates_{};
  std::size_t caller_next_ = 0, caller_count_ = 0;
  float caller_pace() const noexcept;  // median of the ring, NaN if empty
  double agent_spoke_s_ = -1e300;      // when the agent last brought new speech
};

}  // namespace tw::detect
