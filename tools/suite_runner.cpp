#include "tools/suite_runner.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "alerts/event_sink.h"
#include "io/audio_file_writer.h"
#include "pipeline/call_session.h"

namespace tw::tools {
namespace {

// The product's per-call pipeline on the audio in memory, configured as the
// batch path configures it.
std::vector<alerts::Event> analyze_in_memory(const std::string& call_id, const std::vector<float>& interleaved,
                                             const batch::CallJobOptions& job) {
  pipeline::SessionConfig config = job.session;
  config.analyzer.merged_role = job.layout.mono;
  alerts::CollectingSink events;
  pipeline::CallSession session(call_id, config, *job.model, job.layout.roles_for(ComposedCall::kChannels), events);
  session.process(interleaved);
  session.finish();
  return events.events();
}

// Through the batch path: the call's audio as a float WAV, its truth, the outputs.
std::vector<alerts::Event> analyze_through_files(const std::string& dir, const std::string& call_id,
                                                 const ComposedCall& composed, const std::vector<float>& interleaved,
                                                 const batch::CallJobOptions& options) {
  std::filesystem::create_directories(dir);
  const std::string audio = dir + "/" + call_id + ".wav";
  io::write_audio_file(audio, interleaved, ComposedCall::kChannels, composed.truth.sample_rate_hz,
                       io::OutputEncoding::wav_float);
  std::ofstream(dir + "/" + call_id + ".truth.json") << truth_to_json(composed, {call_id + ".json", call_id + ".wav", "float"});
  batch::CallJobOptions job = options;
  job.output.dir = dir;
  const batch::CallResult analysed = batch::analyze_call(audio, call_id, job);
  if (analysed.status != batch::CallResult::Status::analysed) throw std::runtime_error(analysed.error);
  std::vector<alerts::Event> events;
  std::ifstream lines(report::output_paths(dir, call_id, job.output.format).events);
  for (std::string line; std::getline(lines, line);) events.push_back(alerts::event_from_json(nlohmann::json::parse(line)));
  return events;
}

std::vector<SuiteCallResult> run_one(const SuiteCall& call, const EmodbCatalog& catalog, const SuiteRunOptions& options) {
  std::vector<SuiteCallResult> results;
  std::map<std::string, ComposedCall> by_band;  // one composition per band
  for (const LineCondition condition : options.conditions) {
    SuiteCallResult result;
    result.name = call.name;
    result.scenario = call.scenario;
    result.condition = condition;
    result.calm = call.calm;
    try {
      const std::string band = band_of(condition);
      auto found = by_band.find(band);
      if (found == by_band.end()) {
        CallScript script = call.script;
        script.band = band;
        found = by_band.emplace(band, compose_call(script, catalog, options.cache)).first;
      }
      const ComposedCall& composed = found->second;
      std::vector<float> audio = composed.interleaved;
      apply_line_condition(audio, ComposedCall::kChannels, composed.truth.sample_rate_hz, condition, call.script.seed);
      result.expected = expected_events(composed.truth, options.rules);
      result.events = options.output_dir.empty()
                          ? analyze_in_memory(call.name, audio, options.job)
                          : analyze_through_files(options.output_dir + "/" + std::string(to_string(condition)) + "/" +
                                                      call.name,
                                                  call.name, composed, audio, options.job);
      result.score = score_call(result.expected, result.events, options.rules);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::string line(const char* format, auto... values) {
  char text[320];
  std::snprintf(text, sizeof text, format, values...);
  return text;
}

}  // namespace

std::vector<SuiteCallResult> run_suite(const std::vector<SuiteCall>& suite, const EmodbCatalog& catalog,
                                       const SuiteRunOptions& options) {
  std::vector<std::vector<SuiteCallResult>> per_call(suite.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < suite.size(); i = next++) per_call[i] = run_one(suite[i], catalog, options);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, options.jobs); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  std::vector<SuiteCallResult> results;
  for (auto& r : per_call) std::move(r.begin(), r.end(), std::back_inserter(results));
  return results;
}

std::string describe_suite(const std::vector<SuiteCallResult>& results) {
  std::ostringstream out;
  std::vector<CallScore> scores;
  for (const SuiteCallResult& r : results) {
    const std::string name = std::string(to_string(r.condition)) + "/" + r.name;
    if (!r.error.empty()) {
      out << name << ": ERROR " << r.error << "\n";
      continue;
    }
    scores.push_back(r.score);
    int expected = 0, detected = 0, false_alarms = 0;
    for (const auto& [category, c] : r.score.categories) {
      expected += c.expected;
      detected += c.detected;
      false_alarms += c.false_alarms;
    }
    const bool clean = detected == expected && false_alarms == 0 && !(r.calm && r.score.caller_agitation > 0);
    if (clean) continue;  // only calls with something to say
    out << line("%-38s detected %d/%d, false alarms %d, alerts %d, warnings %d\n", name.c_str(), detected, expected,
                false_alarms, r.score.alerts, r.score.warnings);
    for (const std::string& m : r.score.misses) out << "    missed: " << m << "\n";
    for (const std::string& f : r.score.false_alarm_notes) out << "    false alarm: " << f << "\n";
    if (r.calm && r.score.caller_agitation > 0) {
      out << "    CALM CALLER FLAGGED: " << r.score.caller_agitation << " caller-agitation event(s) or alert(s)\n";
    }
  }
  const SuiteScore pooled = pool(scores);
  out << "\nall conditions: category      expected  detected  recall  false alarms  precision  median latency\n";
  auto row = [&](const std::string& name, const CategoryScore& c) {
    out << line("%-29s %9d %9d %7.2f %13d %10.2f %13.1f s\n", name.c_str(), c.expected, c.detected, recall(c),
                c.false_alarms, precision(c), median(c.latencies_s));
  };
  for (const auto& [name, c] : pooled.categories) row(name, c);
  row("all", pooled.total);
  return out.str();
}

std::vector<ConditionScore> score_conditions(const std::vector<SuiteCallResult>& results) {
  std::vector<ConditionScore> out;
  for (const LineCondition condition : kAllLineConditions) {
    ConditionScore s;
    s.condition = condition;
    std::vector<CallScore> scores;
    for (const SuiteCallResult& r : results) {
      if (r.condition != condition || !r.error.empty()) continue;
      ++s.calls;
      scores.push_back(r.score);
      if (r.calm) {
        ++s.calm_calls;
        if (r.score.caller_agitation > 0) ++s.calm_calls_with_caller_agitation;
      }
    }
    if (s.calls == 0) continue;
    s.pooled = pool(scores);
    s.median_latency_s = s.pooled.median_latency_s();
    out.push_back(s);
  }
  return out;
}

std::string describe_conditions(const std::vector<ConditionScore>& scores) {
  std::ostringstream out;
  out << "condition  calls  expected  detected  recall  false alarms  precision  median latency  calm calls flagged  "
         "targets\n";
  for (const ConditionScore& s : scores) {
    const CategoryScore& t = s.pooled.total;
    const bool met = recall(t) >= 0.9 && precision(t) >= 0.9 && s.median_latency_s <= 3.0 &&
                     s.calm_calls_with_caller_agitation == 0;
    out << line("%-9s %6d %9d %9d %7.2f %13d %10.2f %13.1f s %11d of %-4d  %s\n", std::string(to_string(s.condition)).c_str(),
                s.calls, t.expected, t.detected, recall(t), t.false_alarms, precision(t), s.median_latency_s,
                s.calm_calls_with_caller_agitation, s.calm_calls, met ? "met" : "MISSED");
  }
  out << "(targets: recall >= 0.90, precision >= 0.90, median onset latency <= 3 s -- dead air past its 5 s, pace past "
         "its 5 s and monotone past its 10 s sustain --, no caller-agitation event or alert on a calm call)\n";
  out << "\nrecall by category (detected/expected, false alarms)\n";
  std::vector<std::string> categories;
  for (const ConditionScore& s : scores) {
    for (const auto& [name, c] : s.pooled.categories) {
      if (std::find(categories.begin(), categories.end(), name) == categories.end()) categories.push_back(name);
    }
  }
  out << line("%-20s", "category");
  for (const ConditionScore& s : scores) out << line(" %14s", std::string(to_string(s.condition)).c_str());
  out << line(" %16s\n", "median latency");
  for (const std::string& name : categories) {
    out << line("%-20s", name.c_str());
    std::vector<double> latencies;
    for (const ConditionScore& s : scores) {
      const auto it = s.pooled.categories.find(name);
      if (it == s.pooled.categories.end()) {
        out << line(" %14s", "-");
        continue;
      }
      const CategoryScore& c = it->second;
      latencies.insert(latencies.end(), c.latencies_s.begin(), c.latencies_s.end());
      out << line(" %6d/%-3d %3d", c.detected, c.expected, c.false_alarms);
    }
    out << line(" %14.1f s\n", median(latencies));
  }
  return out.str();
}

std::vector<ScenarioTally> tally_scenarios(const std::vector<SuiteCallResult>& results) {
  std::vector<std::string> scenarios;
  std::map<std::pair<std::string, LineCondition>, ScenarioTally> tallies;
  for (const SuiteCallResult& r : results) {
    if (!r.error.empty()) continue;
    if (std::find(scenarios.begin(), scenarios.end(), r.scenario) == scenarios.end()) scenarios.push_back(r.scenario);
    ScenarioTally& t = tallies[{r.scenario, r.condition}];
    t.scenario = r.scenario;
    t.condition = r.condition;
    t.calm = r.calm;
    ++t.calls;
    int expected = 0, detected = 0;
    for (const auto& [category, c] : r.score.categories) {
      expected += c.expected;
      detected += c.detected;
    }
    if (detected == expected) ++t.caught;
    if (r.score.alerts > 0 || r.score.caller_agitation > 0) ++t.flagged;
  }
  std::vector<ScenarioTally> out;
  for (const std::string& name : scenarios) {
    for (const LineCondition c : kAllLineConditions) {
      if (const auto it = tallies.find({name, c}); it != tallies.end()) out.push_back(it->second);
    }
  }
  return out;
}

std::string describe_scenarios(const std::vector<SuiteCallResult>& results) {
  const std::vector<ScenarioTally> tallies = tally_scenarios(results);
  std::vector<LineCondition> conditions;
  for (const LineCondition c : kAllLineConditions) {
    if (std::any_of(tallies.begin(), tallies.end(), [c](const ScenarioTally& t) { return t.condition == c; }))
      conditions.push_back(c);
  }
  std::ostringstream out;
  out << "calls caught by scenario (every must-detect event found; calm scenarios: calls with an alert or a "
         "caller-agitation event)\n";
  out << line("%-30s", "scenario");
  for (const LineCondition c : conditions) out << line(" %9s", std::string(to_string(c)).c_str());
  out << "\n";
  for (std::size_t i = 0; i < tallies.size();) {
    const ScenarioTally& first = tallies[i];
    out << line("%-30s", (first.calm ? first.scenario + " (flagged)" : first.scenario).c_str());
    for (const LineCondition c : conditions) {
      if (i < tallies.size() && tallies[i].scenario == first.scenario && tallies[i].condition == c) {
        const ScenarioTally& t = tallies[i++];
        out << line(" %5d/%-3d", t.calm ? t.flagged : t.caught, t.calls);
      } else {
        out << line(" %9s", "-");
      }
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace tw::tools
