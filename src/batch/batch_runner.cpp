#include "batch/batch_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "batch/fingerprint.h"
#include "batch/input_identity.h"
#include "batch/output_folder.h"
#include "batch/resume.h"
#include "io/path_text.h"
#include "report/call_summary.h"

namespace tw::batch {
namespace {

// Audio seconds a regular file holds, from its header, for the progress display.
// Anything else (a FIFO, a device) is never opened here: it could be read only once.
double header_seconds(const std::string& path, const InputIdentity& identity, const io::FileSourceOptions& options) {
  if (!identity.regular) return 0.0;
  try {
    io::AudioFileSource file(path, options);
    return file.format().frames > 0 ? static_cast<double>(file.format().frames) / file.format().sample_rate_hz : 0.0;
  } catch (const std::exception&) {
    return 0.0;  // reported properly when the worker reaches it
  }
}

std::string format_duration(double seconds) {
  char text[32];
  const auto s = static_cast<long>(seconds);
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// One input as planned before any work starts.
struct PlannedCall {
  std::size_t input = 0;  // index into inputs
  InputIdentity identity;
  std::string id;
  bool done = false;      // skip it
  std::string note;       // why it is analysed again
  nlohmann::json summary; // when done
};

}  // namespace

BatchOutcome run_batch(const std::vector<std::string>& inputs, const BatchOptions& options) {
  BatchOutcome outcome;
  outcome.results.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) outcome.results[i].input_path = inputs[i];

  // Each file once: the same file given twice (by two names, or a glob that
  // overlaps another) is one call.
  std::vector<PlannedCall> plan;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> by_inode;
  std::map<std::string, std::size_t> by_path;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    InputIdentity identity = identify_input(inputs[i]);
    std::size_t* first = nullptr;
    if (identity.exists) {
      auto [it, inserted] = by_inode.try_emplace({identity.device, identity.inode}, i);
      if (!inserted) first = &it->second;
    } else {
      auto [it, inserted] = by_path.try_emplace(identity.path, i);
      if (!inserted) first = &it->second;
    }
    if (first != nullptr) {
      CallResult& r = outcome.results[i];
      r.status = CallResult::Status::duplicate;
      r.note = "the same file as " + io::escape_invalid_utf8(inputs[*first]);
      continue;
    }
    plan.push_back({i, std::move(identity), {}, false, {}, {}});
  }
  std::vector<std::string> unique_inputs;
  for (const PlannedCall& p : plan) unique_inputs.push_back(inputs[p.input]);
  const std::vector<std::string> ids = make_call_ids(unique_inputs, options.root);

  // Only now, with the inputs known to be usable, is the folder made and taken.
  OutputFolder folder(options.job.output.dir);
  outcome.removed_temporaries = folder.removed_temporaries();
  outcome.run_id = utc_now() + "-" + std::to_string(::getpid());

  std::map<std::string, int> ids_in_run;
  for (const std::string& id : ids) ++ids_in_run[id];
  for (std::size_t k = 0; k < plan.size(); ++k) {
    PlannedCall& p = plan[k];
    p.id = ids[k];
    const bool frames = options.job.output.frames;
    ResumeCheck check = check_outputs(report::output_paths(folder.dir(), p.id, options.job.output.format), frames,
                                      p.identity, options.job.run);
    if (check.other_input) {
      // Another input's outputs (an earlier run from another folder) keep their
      // name; this input takes one with a hash of its own path.
      for (std::size_t digits = 8; digits <= 16; digits += 8) {
        std::string id = with_hash(ids[k], p.identity.path, digits);
        if (ids_in_run.count(id) == 0 || digits == 16) {
          p.id = std::move(id);
          break;
        }
      }
      ++ids_in_run[p.id];
      check = check_outputs(report::output_paths(folder.dir(), p.id, options.job.output.format), frames, p.identity,
                            options.job.run);
    }
    p.done = check.done && !options.force;
    p.note = check.done ? std::string() : check.reason;
    if (p.done) p.summary = std::move(check.summary);
    outcome.results[p.input].call_id = p.id;
  }

  nlohmann::json settings = options.job.run.settings;
  folder.append_manifest({{"record", "run started"},
                          {"run", outcome.run_id},
                          {"time_utc", utc_now()},
                          {"pid", static_cast<long>(::getpid())},
                          {"command", [&] {
                             nlohmann::json args = nlohmann::json::array();
                             for (const std::string& a : options.command_line) args.push_back(io::escape_invalid_utf8(a));
                             return args;
                           }()},
                          {"analysis", options.job.run.summary_json()},
                          {"settings", settings},
                          {"force", options.force},
                          {"inputs", inputs.size()},
                          {"calls", plan.size()},
                          {"stale_temporaries_removed", outcome.removed_temporaries.size()}});

  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = static_cast<unsigned>(
      std::min<std::size_t>(options.jobs == 0 ? hardware : options.jobs, std::max<std::size_t>(1, plan.size())));
  const auto stopping = [&] { return options.stop != nullptr && options.stop->load(); };

  const bool progress_visible = options.show_progress && ::isatty(STDERR_FILENO) == 1;
  double total_seconds = 0.0;
  std::vector<double> input_seconds(plan.size(), 0.0);
  if (progress_visible) {
    for (std::size_t k = 0; k < plan.size(); ++k) {
      if (!plan[k].done) {
        total_seconds += input_seconds[k] = header_seconds(inputs[plan[k].input], plan[k].identity, options.job.source);
      }
    }
  }

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::atomic<unsigned> running{workers};
  std::atomic<double> finished_seconds{0.0};
  std::vector<std::unique_ptr<JobProgress>> progress(workers);
  for (auto& p : progress) p = std::make_unique<JobProgress>();

  auto worker = [&](unsigned w) {
    for (;;) {
      if (stopping()) break;
      const std::size_t k = next.fetch_add(1);
      if (k >= plan.size()) break;
      const PlannedCall& p = plan[k];
      CallResult result;
      if (p.done) {
        result.input_path = inputs[p.input];
        result.call_id = p.id;
        result.status = CallResult::Status::skipped;
        result.summary = p.summary;
      } else {
        progress[w]->frames_done = 0;
        result = analyze_call(inputs[p.input], p.id, options.job, progress[w].get(), options.stop);
        result.note = p.note;
        progress[w]->frames_done = 0;
      }
      outcome.results[p.input] = std::move(result);
      finished_seconds.fetch_add(input_seconds[k]);
      finished.fetch_add(1);
    }
    running.fetch_sub(1);
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  if (!stopping()) {
    for (unsigned w = 0; w < workers; ++w) threads.emplace_back(worker, w);
  } else {
    running = 0;
  }

  if (progress_visible) {
    // The progress line lives on the main thread; workers only bump counters.
    while (running.load() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      double seconds = finished_seconds.load();
      for (const auto& p : progress) seconds += static_cast<double>(p->frames_done.load()) / 8000.0;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double fraction = total_seconds > 0.0 ? std::min(1.0, seconds / total_seconds) : 0.0;
      const double eta = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : 0.0;
      std::fprintf(stderr, "\r[%zu/%zu calls] %5.1f %% of %s audio, %s elapsed, ETA %s   ", finished.load(),
                   plan.size(), 100.0 * fraction, format_duration(total_seconds).c_str(),
                   format_duration(elapsed).c_str(), format_duration(eta).c_str());
      std::fflush(stderr);
    }
  }
  for (auto& t : threads) t.join();
  if (progress_visible) std::fprintf(stderr, "\r%80s\r", "");
  outcome.interrupted = stopping();

  std::map<std::string, std::size_t> counts;
  nlohmann::json calls = nlohmann::json::array();
  for (const CallResult& r : outcome.results) {
    ++counts[to_string(r.status)];
    nlohmann::json call = {{"call", r.call_id},
                           {"input", report::input_path_json(r.input_path)["path"]},
                           {"status", to_string(r.status)}};
    if (!io::is_valid_utf8(r.input_path)) call["input_bytes_hex"] = io::to_hex(r.input_path);
    if (!r.error.empty()) call["error"] = r.error;
    if (!r.note.empty()) call["note"] = r.note;
    calls.push_back(std::move(call));
  }
  nlohmann::json record = {{"record", outcome.interrupted ? "run interrupted" : "run finished"},
                           {"run", outcome.run_id},
                           {"time_utc", utc_now()},
                           {"counts", counts},
                           {"calls", calls}};
  try {
    folder.append_manifest(record);
  } catch (const std::exception& e) {
    outcome.warnings.push_back(io::escape_invalid_utf8(e.what()));  // the calls' own files are all written
  }
  return outcome;
}

}  // namespace tw::batch
