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
#include "io/atomic_file.h"
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

}  // namespace

BatchRun::BatchRun(const std::vector<std::string>& inputs, const BatchOptions& options) : options_(options) {
  outcome_.results.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) outcome_.results[i].input_path = inputs[i];

  // Each file once: the same file given twice (by two names, or a glob that
  // overlaps another) is one call.
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
      CallResult& r = outcome_.results[i];
      r.status = CallResult::Status::duplicate;
      r.note = "the same file as " + io::escape_invalid_utf8(inputs[*first]);
      continue;
    }
    calls_.push_back({i, inputs[i], {}, false, {}});
    identities_.push_back(std::move(identity));
  }
  std::vector<std::string> unique_inputs;
  for (const Call& c : calls_) unique_inputs.push_back(c.path);
  const std::vector<std::string> ids = make_call_ids(unique_inputs, options.root);

  // Only now, with the inputs known to be usable, is the folder made and taken.
  folder_ = std::make_unique<OutputFolder>(options.job.output.dir);
  outcome_.removed_temporaries = folder_->removed_temporaries();
  outcome_.run_id = utc_now() + "-" + std::to_string(::getpid());

  std::map<std::string, int> ids_in_run;
  for (const std::string& id : ids) ++ids_in_run[id];
  done_summaries_.resize(calls_.size());
  for (std::size_t k = 0; k < calls_.size(); ++k) {
    Call& c = calls_[k];
    const InputIdentity& identity = identities_[k];
    c.id = ids[k];
    const bool frames = options.job.output.frames;
    ResumeCheck check = check_outputs(report::output_paths(folder_->dir(), c.id, options.job.output.format), frames,
                                      identity, options.job.run);
    if (check.other_input) {
      // Another input's outputs (an earlier run from another folder) keep their
      // name; this input takes one with a hash of its own path.
      for (std::size_t digits = 8; digits <= 16; digits += 8) {
        std::string id = with_hash(ids[k], identity.path, digits);
        if (ids_in_run.count(id) == 0 || digits == 16) {
          c.id = std::move(id);
          break;
        }
      }
      ++ids_in_run[c.id];
      check = check_outputs(report::output_paths(folder_->dir(), c.id, options.job.output.format), frames, identity,
                            options.job.run);
    }
    c.done = check.done && !options.force;
    c.note = check.done ? std::string() : check.reason;
    if (c.done) done_summaries_[k] = std::move(check.summary);
    outcome_.results[c.input].call_id = c.id;
  }

  folder_->append_manifest({{"record", "run started"},
                            {"run", outcome_.run_id},
                            {"time_utc", utc_now()},
                            {"pid", static_cast<long>(::getpid())},
                            {"command", [&] {
                               nlohmann::json args = nlohmann::json::array();
                               for (const std::string& a : options.command_line) args.push_back(io::escape_invalid_utf8(a));
                               return args;
                             }()},
                            {"analysis", options.job.run.summary_json()},
                            {"settings", options.job.run.settings},
                            {"force", options.force},
                            {"inputs", inputs.size()},
                            {"calls", calls_.size()},
                            {"stale_temporaries_removed", outcome_.removed_temporaries.size()}});
}

BatchRun::~BatchRun() = default;

CallResult BatchRun::skipped(std::size_t k) const {
  CallResult result;
  result.input_path = calls_.at(k).path;
  result.call_id = calls_[k].id;
  result.status = CallResult::Status::skipped;
  result.summary = done_summaries_[k];
  return result;
}

void BatchRun::record(std::size_t k, CallResult result) {
  const Call& c = calls_.at(k);
  if (result.status != CallResult::Status::skipped && result.note.empty()) result.note = c.note;
  outcome_.results[c.input] = std::move(result);
}

BatchOutcome BatchRun::finish(bool interrupted, bool sweep_temporaries) {
  outcome_.interrupted = interrupted;
  if (sweep_temporaries) {
    try {
      const std::vector<std::string> removed = io::remove_stale_temporaries(folder_->dir());
      outcome_.removed_temporaries.insert(outcome_.removed_temporaries.end(), removed.begin(), removed.end());
    } catch (const std::exception& e) {
      outcome_.warnings.push_back(io::escape_invalid_utf8(e.what()));
    }
  }
  std::map<std::string, std::size_t> counts;
  nlohmann::json calls = nlohmann::json::array();
  for (const CallResult& r : outcome_.results) {
    ++counts[to_string(r.status)];
    nlohmann::json call = {{"call", r.call_id},
                           {"input", report::input_path_json(r.input_path)["path"]},
                           {"status", to_string(r.status)}};
    if (!io::is_valid_utf8(r.input_path)) call["input_bytes_hex"] = io::to_hex(r.input_path);
    if (!r.error.empty()) call["error"] = r.error;
    if (!r.note.empty()) call["note"] = r.note;
    calls.push_back(std::move(call));
  }
  nlohmann::json record = {{"record", interrupted ? "run interrupted" : "run finished"},
                           {"run", outcome_.run_id},
                           {"time_utc", utc_now()},
                           {"counts", counts},
                           {"calls", calls}};
  try {
    folder_->append_manifest(record);
  } catch (const std::exception& e) {
    outcome_.warnings.push_back(io::escape_invalid_utf8(e.what()));  // the calls' own files are all written
  }
  return outcome_;
}

BatchOutcome run_batch(const std::vector<std::string>& inputs, const BatchOptions& options) {
  BatchRun run(inputs, options);
  const std::vector<BatchRun::Call>& plan = run.calls();

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
        total_seconds += input_seconds[k] = header_seconds(plan[k].path, run.identity(k), options.job.source);
      }
    }
  }

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::atomic<unsigned> running{workers};
  std::atomic<double> finished_seconds{0.0};
  std::vector<std::unique_ptr<JobProgress>> progress(workers);
  for (auto& p : progress) p = std::make_unique<JobProgress>();
  // Each worker's results, recorded on this thread once they are all done.
  std::vector<CallResult> results(plan.size());

  auto worker = [&](unsigned w) {
    for (;;) {
      if (stopping()) break;
      const std::size_t k = next.fetch_add(1);
      if (k >= plan.size()) break;
      if (plan[k].done) {
        results[k] = run.skipped(k);
      } else {
        progress[w]->frames_done = 0;
        results[k] = analyze_call(plan[k].path, plan[k].id, options.job, progress[w].get(), options.stop);
        progress[w]->frames_done = 0;
      }
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
  for (std::size_t k = 0; k < plan.size(); ++k) {
    if (results[k].status != CallResult::Status::not_started) run.record(k, std::move(results[k]));
  }
  return run.finish(stopping());
}

}  // namespace tw::batch
