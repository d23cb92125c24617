#include "detect/agent_tone_rules.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

#include "features/window_summary.h"

namespace tw::detect {
namespace {

float finite_or(float value, float fallback) { return std::isfinite(value) ? value : fallback; }

}  // namespace

AgentToneRules::AgentToneRules(const AgentToneConfig& config)
    : config_(config),
      episodes_{EpisodeTracker(config.raised_voice_timing), EpisodeTracker(config.pace_timing),
                EpisodeTracker(config.pace_timing), EpisodeTracker(config.monotone_timing)} {
  if (!(config.raised_voice_open_units > config.raised_voice_close_units)) {
    throw std::invalid_argument("AgentToneConfig: raised_voice_open_units must exceed raised_voice_close_units");
  }
  if (!(config.pace_open_units > config.pace_close_units) || !(config.pace_slow_open_units > config.pace_close_units)) {
    throw std::invalid_argument("AgentToneConfig: pace_open_units and pace_slow_open_units must exceed pace_close_units");
  }
  if (!(config.pace_vs_caller_syl_per_s >= 0.0f)) {
    throw std::invalid_argument("AgentToneConfig: pace_vs_caller_syl_per_s must be >= 0");
  }
  if (!(config.monotone_units < 0.0f)) throw std::invalid_argument("AgentToneConfig: monotone_units must be < 0");
  if (!(config.monotone_window_s >= 5.0f && config.monotone_window_s <= 128.0f)) {
    throw std::invalid_argument("AgentToneConfig: monotone_window_s must be in 5..128");
  }
  if (config.monotone_min_windows == 0 || static_cast<float>(config.monotone_min_windows) > config.monotone_window_s) {
    throw std::invalid_argument("AgentToneConfig: monotone_min_windows must be in 1..monotone_window_s");
  }
  if (!(config.pace_recent_s >= 0.0f)) throw std::invalid_argument("AgentToneConfig: pace_recent_s must be >= 0");
  if (config.pace_caller_windows == 0 || config.pace_caller_windows > kMaxCallerWindows) {
    throw std::invalid_argument("AgentToneConfig: pace_caller_windows must be in 1..64");
  }
  changes_.reserve(kAgentRuleCount);
}

float AgentToneRules::caller_pace() const noexcept {
  if (caller_count_ == 0) return NAN;
  std::array<float, kMaxCallerWindows> values = caller_rates_;  // the quantile reorders its input
  return features::quantile_in_place(values.data(), caller_count_, 0.5f);
}

void AgentToneRules::reset() noexcept {
  for (EpisodeTracker& e : episodes_) e.reset();
  changes_.clear();
  ring_next_ = ring_count_ = 0;
  caller_next_ = caller_count_ = 0;
  agent_spoke_s_ = -1e300;
}

Evidence AgentToneRules::feature_evidence(const AgitationTracker& tracker, Prosody p, double since_s) const {
  const AgitationState& s = tracker.state();
  return Evidence{std::string(kProsodyNames[static_cast<std::size_t>(p)]), s.window[p], tracker.baseline().median(p),
                  s.deviation[p], since_s};
}

const std::vector<AgentRuleChange>& AgentToneRules::update(double time_s, const AgitationTracker& agent,
                                                           const AgitationTracker& caller) {
  changes_.clear();
  const AgitationState& a = agent.state();
  const AgitationState& c = caller.state();
  const bool ready = !config_.require_established_baseline || a.baseline_established;
  const bool measured = ready && a.scored;

  auto record = [&](AgentRule rule, EpisodeChange change, std::vector<Evidence> evidence) {
    if (change != EpisodeChange::none) changes_.push_back({rule, change, std::move(evidence)});
  };
  auto tracker = [&](AgentRule rule) -> EpisodeTracker& { return episodes_[static_cast<std::size_t>(rule)]; };

  // Raised voice: the mean deviation of loudness, pitch level and vocal effort.
  bool ordinary_effort = true;
  {
    const auto& cues = kEffortCues;
    float sum = 0.0f;
    int n = 0, up = 0;
    for (Prosody p : cues) {
      if (std::isfinite(a.deviation[p])) {
        sum += a.deviation[p];
        ++n;
        if (a.deviation[p] >= config_.raised_voice_close_units) ++up;
      }
    }
    // The cues rise together when a voice is raised: one alone is something else
    // (a pitch read an octave or more up on time-scaled speech, +17 st with loudness
    // and effort unchanged, averaged 2.8 units by itself once loudness was read
    // against the speaker's own level; issue 27).
    const bool together = up >= 2;
    const float effort = n > 0 ? sum / static_cast<float>(n) : -INFINITY;
    const bool not_quieter =
        finite_or(a.deviation[Prosody::loudness_db], 0.0f) >= config_.raised_voice_min_loudness_units;
    // A raised voice is judged while the agent's baseline still learns too (an agent
    // shouting 10-20 s into the call must not wait for it): its deviations are then
    // in units widened by what is still unknown of the agent, and the baseline never
    // learns such a window (SpeakerBaseline::extreme). Against the mixed population
    // alone (no register yet) it is not: that says how unusual a voice is.
    const bool judged = a.scored && (ready || (config_.raised_voice_while_learning &&
                                               a.reference != BaselineReference::population));
    const bool open = judged && effort >= config_.raised_voice_open_units && not_quieter && together;
    const bool close = !a.scored || effort < config_.raised_voice_close_units;
    ordinary_effort = !tracker(AgentRule::raised_voice).is_open() && !(a.scored && effort >= config_.raised_voice_close_units);
    EpisodeTracker& e = tracker(AgentRule::raised_voice);
    const EpisodeChange change = e.update(time_s, open, close);
    std::vector<Evidence> evidence;
    if (change != EpisodeChange::none) {
      for (Prosody p : cues) {
        if (a.window.has(p)) evidence.push_back(feature_evidence(agent, p, e.onset_s()));
      }
    }
    record(AgentRule::raised_voice, change, std::move(evidence));
  }

  // Pace against the agent's baseline and against the caller.
  {
    // The agent's pace over their last seconds of speech (AgitationTracker): it
    // holds still through the caller's turns, so three short turns add up to one reading.
    const float rate = a.window[Prosody::speaking_rate_syl_per_s];
    const float deviation = a.deviation[Prosody::speaking_rate_syl_per_s];
    // ... but only while it is recent: an agent silent for longer than a few of the
    // caller's turns is speaking at no pace, and an episode must not stay open through it.
    if (a.window.new_speech_s > 0.0f) agent_spoke_s_ = time_s;
    const bool recent = time_s - agent_spoke_s_ <= config_.pace_recent_s;
    // The caller's pace as last heard (each reading is already over their last
    // seconds of speech): while the agent holds the floor the caller brings none.
    if (const float r = c.window[Prosody::speaking_rate_syl_per_s]; std::isfinite(r) && c.window.new_speech_s > 0.0f) {
      caller_rates_[caller_next_] = r;
      caller_next_ = (caller_next_ + 1) % config_.pace_caller_windows;
      caller_count_ = std::min(caller_count_ + 1, config_.pace_caller_windows);
    }
    const float caller_rate = caller_pace();
    const bool caller_known = std::isfinite(caller_rate);
    const bool rate_known = ready && recent && std::isfinite(deviation);
    const float margin = config_.pace_vs_caller_syl_per_s;
    // Pace is judged in the agent's ordinary voice: a raised one changes articulation
    // too (the lengthened, stressed syllables of emphatic speech read 1-1.7 syl/s slow
    // in EmoDB's anger), and the raised-voice alert is already the story there.
    const bool fast = rate_known && ordinary_effort && deviation >= config_.pace_open_units &&
                      (!caller_known || rate >= caller_rate + margin);
    const bool slow = rate_known && ordinary_effort && deviation <= -config_.pace_slow_open_units && caller_known &&
                      caller_rate >= rate + margin;
    const bool fast_over = !rate_known || deviation < config_.pace_close_units;
    const bool slow_over = !rate_known || deviation > -config_.pace_close_units;
    for (const auto& [rule, open, close] : {std::tuple{AgentRule::fast_speech, fast, fast_over},
                                            std::tuple{AgentRule::slow_speech, slow, slow_over}}) {
      EpisodeTracker& e = tracker(rule);
      const EpisodeChange change = e.update(time_s, open, close);
      std::vector<Evidence> evidence;
      if (change != EpisodeChange::none) {
        evidence.push_back(feature_evidence(agent, Prosody::speaking_rate_syl_per_s, e.onset_s()));
        if (caller_known) evidence.push_back(Evidence{"caller_speaking_rate_syl_per_s", caller_rate, NAN, NAN, e.onset_s()});
      }
      record(rule, change, std::move(evidence));
    }
  }

  // Monotone: long-window averages of the range deviations.
  {
    f0_range_dev_[ring_next_] = a.deviation[Prosody::f0_range_st];
    loudness_range_dev_[ring_next_] = a.deviation[Prosody::loudness_range_db];
    scored_[ring_next_] = measured;
    ring_next_ = (ring_next_ + 1) % f0_range_dev_.size();
    ring_count_ = std::min(ring_count_ + 1, f0_range_dev_.size());
    const auto window = static_cast<std::size_t>(config_.monotone_window_s);
    double f0_sum = 0.0, loudness_sum = 0.0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::min(window, ring_count_); ++i) {
      const std::size_t j = (ring_next_ + f0_range_dev_.size() - 1 - i) % f0_range_dev_.size();
      if (!scored_[j] || !std::isfinite(f0_range_dev_[j]) || !std::isfinite(loudness_range_dev_[j])) continue;
      f0_sum += f0_range_dev_[j];
      loudness_sum += loudness_range_dev_[j];
      ++n;
    }
    const bool enough = n >= config_.monotone_min_windows;
    const double f0_mean = enough ? f0_sum / static_cast<double>(n) : 0.0;
    const double loudness_mean = enough ? loudness_sum / static_cast<double>(n) : 0.0;
    // Monotone is decided on the pitch: listeners hear a flat voice as monotone
    // whatever its loudness (Darley, Aronson & Brown 1969 tell "monopitch" and
    // "monoloudness" apart; Hincks 2005 found pitch variation, not loudness, to be
    // what makes speech sound lively). Loudness dynamics go with it as evidence
    // only: the 10th-90th percentile loudness of active hops is set mostly by the
    // dips between syllables and words, which a monotone voice keeps.
    const bool open = enough && f0_mean <= config_.monotone_units;
    const bool close = !enough || f0_mean > config_.monotone_units / 2;
    EpisodeTracker& e = tracker(AgentRule::monotone);
    const EpisodeChange change = e.update(time_s, open, close);
    std::vector<Evidence> evidence;
    if (change != EpisodeChange::none) {
      const float f0_scale = agent.baseline().scale(Prosody::f0_range_st);
      const float loudness_scale = agent.baseline().scale(Prosody::loudness_range_db);
      const float f0_base = agent.baseline().median(Prosody::f0_range_st);
      const float loudness_base = agent.baseline().median(Prosody::loudness_range_db);
      evidence.push_back(Evidence{"f0_range_st", static_cast<float>(f0_base + f0_mean * f0_scale), f0_base,
                                  static_cast<float>(f0_mean), e.onset_s()});
      evidence.push_back(Evidence{"loudness_range_db", static_cast<float>(loudness_base + loudness_mean * loudness_scale),
                                  loudness_base, static_cast<float>(loudness_mean), e.onset_s()});
    }
    record(AgentRule::monotone, change, std::move(evidence));
  }
  return changes_;
}

}  // namespace tw::detect
