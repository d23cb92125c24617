#include "tools/call_evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tw::tools {
namespace {

std::string role_name(features::SpeakerRole role) { return std::string(features::to_string(role)); }

// Runs of consecutive utterances of one role satisfying `raised`, in time order.
template <class Pred>
std::vector<std::pair<const UtteranceTruth*, const UtteranceTruth*>> runs(const CallTruth& truth,
                                                                        features::SpeakerRole role, Pred raised) {
  std::vector<const UtteranceTruth*> mine;
  for (const UtteranceTruth& u : truth.utterances) {
    if (u.role == role) mine.push_back(&u);
  }
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->start_s < b->start_s; });
  std::vector<std::pair<const UtteranceTruth*, const UtteranceTruth*>> out;
  const UtteranceTruth* first = nullptr;
  const UtteranceTruth* last = nullptr;
  for (const UtteranceTruth* u : mine) {
    if (raised(*u)) {
      if (first == nullptr) first = u;
      last = u;
    } else if (first != nullptr) {
      out.emplace_back(first, last);
      first = last = nullptr;
    }
  }
  if (first != nullptr) out.emplace_back(first, last);
  return out;
}

double speech_between(const CallTruth& truth, features::SpeakerRole role, double start, double end) {
  double total = 0.0;
  for (const UtteranceTruth& u : truth.utterances) {
    if (u.role == role && u.start_s >= start - 1e-9 && u.end_s <= end + 1e-9) total += u.end_s - u.start_s;
  }
  return total;
}

}  // namespace

std::vector<ExpectedEvent> expected_events(const CallTruth& truth, const TruthRules& rules) {
  std::vector<ExpectedEvent> expected;
  // Caller agitation: runs of angry caller speech.
  for (const auto& [first, last] : runs(truth, features::SpeakerRole::caller,
                                        [](const UtteranceTruth& u) { return u.source != nullptr && u.source->emotion_code == 'W'; })) {
    const double speech = speech_between(truth, features::SpeakerRole::caller, first->start_s, last->end_s);
    expected.push_back({"caller_agitation", "caller", "", first->start_s, last->end_s + rules.agitation_grace_s,
                        speech >= rules.agitation_min_speech_s, "angry caller run " + first->source->file});
  }

  // The agent raising their voice.
  for (const auto& [first, last] :
       runs(truth, features::SpeakerRole::agent,
            [&](const UtteranceTruth& u) {
              return (u.source != nullptr && u.source->emotion_code == 'W') || u.gain_db >= rules.raised_gain_db;
            })) {
    const double speech = speech_between(truth, features::SpeakerRole::agent, first->start_s, last->end_s);
    expected.push_back({"agent_raised_voice", "agent", "", first->start_s, last->end_s + rules.raised_grace_s,
                        speech >= rules.raised_min_speech_s, "raised agent run"});
  }

  // Interruptions: who gave way, how long the overlap and the overlapping turn.
  for (const OverlapTruth& o : truth.overlaps) {
    const bool backchannel = !o.interrupted_yielded && o.interrupter_turn_s <= rules.backchannel_max_s;
    if (backchannel) continue;  // detecting it is a false alarm
    const bool gave_way = o.interrupted_yielded && o.duration_s >= rules.yield_min_overlap_s &&
                          o.interrupter_turn_s > rules.backchannel_max_s;
    const bool long_overlap = o.duration_s >= rules.interruption_min_overlap_s;
    ExpectedEvent x{"interruption", role_name(o.interrupter), "", o.start_s, o.start_s + o.duration_s + 2.0,
                    gave_way || long_overlap, gave_way ? "overlap, the other gave way" : "overlap"};
    // Below the long-overlap rule, the only way to find it is by the yield: it must be named.
    if (gave_way && !long_overlap) x.yielded = role_name(o.interrupted);
    expected.push_back(x);
  }

  // The agent's pace and delivery: runs of time-scaled or monotone agent turns.
  auto agent_runs = [&](auto&& belongs, const std::string& category, double min_speech_s, double sustain_s,
                        double grace_s) {
    const TurnTruth* first = nullptr;
    const TurnTruth* last = nullptr;
    auto close = [&] {
      if (first == nullptr) return;
      const double speech = speech_between(truth, features::SpeakerRole::agent, first->start_s, last->end_s);
      expected.push_back({category, "agent", "", first->start_s + sustain_s, last->end_s + grace_s,
                          speech >= min_speech_s, category + " run"});
      first = last = nullptr;
    };
    for (const TurnTruth& t : truth.turns) {
      if (t.role != features::SpeakerRole::agent) continue;
      if (belongs(t)) {
        if (first == nullptr) first = &t;
        last = &t;
      } else {
        close();
      }
    }
    close();
  };
  agent_runs([&](const TurnTruth& t) { return t.tempo >= rules.pace_tempo; }, "agent_fast_speech",
             rules.pace_min_speech_s, rules.pace_sustain_s, rules.pace_grace_s);
  agent_runs([&](const TurnTruth& t) { return t.tempo <= 1.0 / rules.pace_tempo; }, "agent_slow_speech",
             rules.pace_min_speech_s, rules.pace_sustain_s, rules.pace_grace_s);
  agent_runs([](const TurnTruth& t) { return t.monotone; }, "agent_monotone", rules.monotone_min_speech_s,
             rules.monotone_sustain_s, rules.monotone_grace_s);

  // Dead air from scripted silences (onset when the silence reaches the threshold).
  for (const SilenceTruth& s : truth.silences) {
    const double length = s.end_s - s.start_s;
    if (length < rules.dead_air_s - rules.dead_air_margin_s) continue;
    expected.push_back({"dead_air", "", "", s.start_s + rules.dead_air_s, s.end_s + 1.0,
                        length >= rules.dead_air_s + rules.dead_air_margin_s, s.label});
  }
  return expected;
}

std::string detection_category(const alerts::Event& e) {
  if (e.state == alerts::EventState::closed) return "";
  if (e.type == "caller_agitation_rising" || e.type == "caller_agitation_high") return "caller_agitation";
  if (e.type == "supervisor_alert") {
    const std::string reason = e.details.value("reason", "");
    if (reason == "escalation" || reason == "relapse") return "caller_agitation";
    return "";  // venting_stalled, agent_broke_listening_rules: consequences, scored through their causes
  }
  if (e.type == "interruption" || e.type == "agent_raised_voice" || e.type == "dead_air" ||
      e.type == "agent_fast_speech" || e.type == "agent_slow_speech" || e.type == "agent_monotone") {
    return e.type;
  }
  return "";
}

CallScore score_call(const std::vector<ExpectedEvent>& expected, const std::vector<alerts::Event>& detected,
                     const TruthRules& rules) {
  CallScore score;
  std::vector<bool> hit(expected.size(), false);
  std::vector<double> first_time(expected.size(), INFINITY);
  for (const alerts::Event& e : detected) {
    if (e.kind == alerts::EventKind::alert) ++score.alerts;
    if (e.severity != alerts::Severity::info) ++score.warnings;
    const std::string category = detection_category(e);
    if (category.empty()) continue;
    if (category == "caller_agitation") ++score.caller_agitation;
    CategoryScore& c = score.categories[category];
    bool matched = false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const ExpectedEvent& x = expected[i];
      if (x.category != category || (!x.speaker.empty() && x.speaker != e.speaker)) continue;
      if (!x.yielded.empty() && e.details.value("yielded", std::string()) != x.yielded) continue;
      if (e.time_s < x.onset_s - rules.early_s || e.time_s > x.end_s) continue;
      matched = true;
      if (x.must_detect) {
        hit[i] = true;
        first_time[i] = std::min(first_time[i], e.time_s);
      }
    }
    if (matched) {
      ++c.true_detections;
    } else {
      ++c.false_alarms;
      char note[160];
      std::snprintf(note, sizeof note, "%s at %.1f s (%s)", e.type.c_str(), e.time_s, e.message.c_str());
      score.false_alarm_notes.push_back(note);
    }
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const ExpectedEvent& x = expected[i];
    if (!x.must_detect) continue;
    CategoryScore& c = score.categories[x.category];
    ++c.expected;
    if (hit[i]) {
      ++c.detected;
      c.latencies_s.push_back(first_time[i] - x.onset_s);
    } else {
      char note[160];
      std::snprintf(note, sizeof note, "%s (%s) from %.1f s: %s", x.category.c_str(), x.speaker.c_str(), x.onset_s,
                    x.note.c_str());
      score.misses.push_back(note);
    }
  }
  return score;
}

double recall(const CategoryScore& s) { return s.expected > 0 ? static_cast<double>(s.detected) / s.expected : 1.0; }

double precision(const CategoryScore& s) {
  const int all = s.true_detections + s.false_alarms;
  return all > 0 ? static_cast<double>(s.true_detections) / all : 1.0;
}

double median(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

SuiteScore pool(const std::vector<CallScore>& calls) {
  SuiteScore suite;
  auto add = [](CategoryScore& into, const CategoryScore& from) {
    into.expected += from.expected;
    into.detected += from.detected;
    into.false_alarms += from.false_alarms;
    into.true_detections += from.true_detections;
    into.latencies_s.insert(into.latencies_s.end(), from.latencies_s.begin(), from.latencies_s.end());
  };
  for (const CallScore& call : calls) {
    for (const auto& [name, c] : call.categories) {
      add(suite.categories[name], c);
      add(suite.total, c);
    }
  }
  return suite;
}

double SuiteScore::recall() const { return tools::recall(total); }
double SuiteScore::precision() const { return tools::precision(total); }
double SuiteScore::median_latency_s() const { return median(total.latencies_s); }

}  // namespace tw::tools
