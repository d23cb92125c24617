#include "tools/suite_runner.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "io/audio_file_writer.h"
#include "tools/call_composer.h"

namespace tw::tools {
namespace {

SuiteCallResult run_one(const SuiteCall& call, const EmodbCatalog& catalog, const SuiteRunOptions& options) {
  SuiteCallResult result;
  result.name = call.name;
  result.scenario = call.scenario;
  result.calm = call.calm;
  try {
    const ComposedCall composed = compose_call(call.script, catalog);
    const std::string dir = options.output_dir + "/" + call.name;
    std::filesystem::create_directories(dir);
    // Through a µ-law file, as a telephone recording arrives.
    const std::string audio = dir + "/" + call.name + ".wav";
    io::write_audio_file(audio, composed.interleaved, ComposedCall::kChannels, composed.truth.sample_rate_hz,
                         io::OutputEncoding::wav_ulaw);
    std::ofstream(dir + "/" + call.name + ".truth.json") << truth_to_json(composed, {call.name + ".json", call.name + ".wav", "ulaw"});
    result.expected = expected_events(composed.truth, options.rules);

    batch::CallJobOptions job = options.job;
    job.output.dir = dir;
    const batch::CallResult analysed = batch::analyze_call(audio, call.name, job);
    if (analysed.status != batch::CallResult::Status::analysed) throw std::runtime_error(analysed.error);
    std::ifstream lines(report::output_paths(dir, call.name, job.output.format).events);
    for (std::string line; std::getline(lines, line);) {
      result.events.push_back(alerts::event_from_json(nlohmann::json::parse(line)));
    }
    result.score = score_call(result.expected, result.events, options.rules);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

}  // namespace

std::vector<SuiteCallResult> run_suite(const std::vector<SuiteCall>& suite, const EmodbCatalog& catalog,
                                       const SuiteRunOptions& options) {
  std::vector<SuiteCallResult> results(suite.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < suite.size(); i = next++) results[i] = run_one(suite[i], catalog, options);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, options.jobs); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return results;
}

std::string describe_suite(const std::vector<SuiteCallResult>& results) {
  std::ostringstream out;
  char line[256];
  std::vector<CallScore> scores;
  for (const SuiteCallResult& r : results) {
    if (!r.error.empty()) {
      out << r.name << ": ERROR " << r.error << "\n";
      continue;
    }
    scores.push_back(r.score);
    int expected = 0, detected = 0, false_alarms = 0;
    for (const auto& [name, c] : r.score.categories) {
      expected += c.expected;
      detected += c.detected;
      false_alarms += c.false_alarms;
    }
    std::snprintf(line, sizeof line, "%-28s detected %d/%d, false alarms %d, alerts %d, warnings %d\n", r.name.c_str(),
                  detected, expected, false_alarms, r.score.alerts, r.score.warnings);
    out << line;
    for (const std::string& m : r.score.misses) out << "    missed: " << m << "\n";
    for (const std::string& f : r.score.false_alarm_notes) out << "    false alarm: " << f << "\n";
    if (r.calm && r.score.alerts > 0) out << "    CALM CALL RAISED " << r.score.alerts << " ALERT(S)\n";
  }
  const SuiteScore pooled = pool(scores);
  out << "\ncategory              expected  detected  recall  false alarms  precision  median latency\n";
  auto row = [&](const std::string& name, const CategoryScore& c) {
    std::snprintf(line, sizeof line, "%-20s %9d %9d %7.2f %13d %10.2f %13.1f s\n", name.c_str(), c.expected, c.detected,
                  recall(c), c.false_alarms, precision(c), median(c.latencies_s));
    out << line;
  };
  for (const auto& [name, c] : pooled.categories) row(name, c);
  row("all", pooled.total);
  return out.str();
}

}  // namespace tw::tools
