#include "batch/batch_runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

namespace tw::batch {
namespace {

// Audio seconds the inputs hold, from their headers, for the progress display.
double header_seconds(const std::string& path, const io::FileSourceOptions& options) {
  try {
    io::AudioFileSource file(path, options);
    return static_cast<double>(file.format().frames) / file.format().sample_rate_hz;
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

}  // namespace

std::vector<std::string> make_call_ids(const std::vector<std::string>& inputs) {
  std::vector<std::string> ids;
  std::map<std::string, int> seen;
  for (const std::string& input : inputs) {
    const std::string stem = std::filesystem::path(input).stem().string();
    const int n = ++seen[stem];
    ids.push_back(n == 1 ? stem : stem + "-" + std::to_string(n));
  }
  return ids;
}

std::vector<CallResult> run_batch(const std::vector<std::string>& inputs, const BatchOptions& options) {
  const std::vector<std::string> ids = make_call_ids(inputs);
  std::vector<CallResult> results(inputs.size());
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers =
      static_cast<unsigned>(std::min<std::size_t>(options.jobs == 0 ? hardware : options.jobs, std::max<std::size_t>(1, inputs.size())));

  const bool progress_visible = options.show_progress && ::isatty(STDERR_FILENO) == 1;
  double total_seconds = 0.0;
  std::vector<double> input_seconds(inputs.size(), 0.0);
  if (progress_visible) {
    for (std::size_t i = 0; i < inputs.size(); ++i) total_seconds += input_seconds[i] = header_seconds(inputs[i], options.job.source);
  }

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::atomic<double> finished_seconds{0.0};
  std::vector<std::unique_ptr<JobProgress>> progress(workers);
  for (auto& p : progress) p = std::make_unique<JobProgress>();

  auto worker = [&](unsigned w) {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= inputs.size()) return;
      const report::CallOutputPaths paths = report::output_paths(options.job.output.dir, ids[i], options.job.output.format);
      CallResult result;
      if (!options.force && std::filesystem::exists(paths.summary)) {
        result.input_path = inputs[i];
        result.call_id = ids[i];
        result.status = CallResult::Status::skipped;
        try {
          std::ifstream in(paths.summary);
          result.summary = nlohmann::json::parse(in);
        } catch (const std::exception&) {
          result.summary = nullptr;  // unreadable summary: the table shows no figures
        }
      } else {
        progress[w]->frames_done = 0;
        result = analyze_call(inputs[i], ids[i], options.job, progress[w].get());
        progress[w]->frames_done = 0;
      }
      results[i] = std::move(result);
      finished_seconds.fetch_add(input_seconds[i]);
      finished.fetch_add(1);
    }
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) threads.emplace_back(worker, w);

  if (progress_visible) {
    // The progress line lives on the main thread; workers only bump counters.
    while (finished.load() < inputs.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      double seconds = finished_seconds.load();
      for (const auto& p : progress) seconds += static_cast<double>(p->frames_done.load()) / 8000.0;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double fraction = total_seconds > 0.0 ? std::min(1.0, seconds / total_seconds) : 0.0;
      const double eta = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : 0.0;
      std::fprintf(stderr, "\r[%zu/%zu calls] %5.1f %% of %s audio, %s elapsed, ETA %s   ", finished.load(),
                   inputs.size(), 100.0 * fraction, format_duration(total_seconds).c_str(),
                   format_duration(elapsed).c_str(), format_duration(eta).c_str());
      std::fflush(stderr);
    }
  }
  for (auto& t : threads) t.join();
  if (progress_visible) std::fprintf(stderr, "\r%80s\r", "");
  return results;
}

}  // namespace tw::batch
