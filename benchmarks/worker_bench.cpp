// What one analysis worker of `tonewatch serve` costs per call-second when it
// carries many calls at once, without the network: N server::LiveCalls (two
// 8 kHz legs each, as a Twilio both-track stream gives), each leg written 20 ms of
// the example call per tick as a connection would, then every call pumped as a
// worker does (take_ready, pump). All on this thread, timed with its CPU clock;
// the leg writes (the network thread's share) and the pumps (the worker's) are
// timed apart. Figures for rising N side by side in one run: a call's state is
// cold again by its next packet once many calls share the caches, which is what
// separates the serve capacity from tw_bench's single-call figures.
//
//   build/benchmarks/worker_bench [--calls 1 100 400 1000] [--seconds 20]

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "app/default_model.h"
#include "bench_clock.h"
#include "dsp/stream_spec.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "server/live_call.h"
#include "build_paths.h"

namespace {
using namespace tw;
using bench::thread_cpu_s;

class CountingSink final : public alerts::EventSink {
 public:
  void on_event(const alerts::Event&) override { ++events; }
  long events = 0;
};

struct Figures {
  double write_ms_per_call_s = 0.0;  ///< leg writes, per call-second of audio
  double pump_ms_per_call_s = 0.0;   ///< worker pumps, per call-second of audio
  long events = 0;
  std::uint64_t analysed_frames = 0;
};

Figures run(int calls, double seconds, const std::vector<float>& caller, const std::vector<float>& agent,
            const server::CallSettings& settings) {
  CountingSink sink;
  std::vector<std::unique_ptr<server::LiveCall>> live;
  for (int i = 0; i < calls; ++i) {
    live.push_back(std::make_unique<server::LiveCall>("bench-" + std::to_string(i), "bench", nlohmann::json::object(),
                                                      settings, sink));
    live.back()->add_tracks({{8000, {features::SpeakerRole::caller}}, {8000, {features::SpeakerRole::agent}}}, true);
  }
  constexpr std::size_t kTick = 160;  // 20 ms at 8 kHz, a Twilio media message
  const auto ticks = static_cast<std::size_t>(seconds * 50.0);
  const std::size_t length = caller.size() - kTick;
  double write_s = 0.0, pump_s = 0.0;
  for (std::size_t t = 0; t < ticks; ++t) {
    const double t0 = thread_cpu_s();
    for (int i = 0; i < calls; ++i) {
      // Each call starts at its own place in the example, so the calls differ.
      const std::size_t at = (t * kTick + static_cast<std::size_t>(i) * 2953) % length;
      live[static_cast<std::size_t>(i)]->leg(0).write(std::span<const float>(caller.data() + at, kTick));
      live[static_cast<std::size_t>(i)]->leg(1).write(std::span<const float>(agent.data() + at, kTick));
    }
    const double t1 = thread_cpu_s();
    const std::int64_t now = server::steady_now_ns();
    for (auto& call : live) {
      if (call->take_ready()) call->pump(now);
    }
    const double t2 = thread_cpu_s();
    write_s += t1 - t0;
    pump_s += t2 - t1;
  }
  Figures f;
  const double call_seconds = static_cast<double>(calls) * static_cast<double>(ticks) / 50.0;
  f.write_ms_per_call_s = 1e3 * write_s / call_seconds;
  f.pump_ms_per_call_s = 1e3 * pump_s / call_seconds;
  for (auto& call : live) f.analysed_frames += call->analysed_frames();
  f.events = sink.events;
  return f;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"worker_bench: CPU per call-second of tonewatch serve's per-call path (leg ring writes and worker "
               "pumps: joiner, features, detection, live outputs) for N calls interleaved on one thread, without "
               "the network"};
  std::vector<int> counts{1, 100, 400, 1000};
  double seconds = 20.0;
  std::string example = tw::build::source_dir() + "/examples/example_call.wav";
  app.add_option("--calls", counts, "Numbers of concurrent calls, run one after the other")
      ->check(CLI::Range(1, 5000));
  app.add_option("--seconds", seconds, "Audio per call")->check(CLI::Range(1.0, 600.0));
  app.add_option("--example", example, "A stereo call (caller left), 8 kHz")->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);

  try {
    io::AudioFileSource file(example);
    if (file.format().channels != 2) throw std::runtime_error(example + ": not a stereo call");
    io::ResamplingSource source(file, dsp::kAnalysisRateHz);
    const std::vector<float> both = io::read_all(source);
    std::vector<float> caller(both.size() / 2), agent(both.size() / 2);
    for (std::size_t i = 0; i < caller.size(); ++i) {
      caller[i] = both[2 * i];
      agent[i] = both[2 * i + 1];
    }
    const detect::AgitationModel model = app::load_agitation_model();
    const std::filesystem::path out =
        std::filesystem::temp_directory_path() / ("tw-worker-bench-" + std::to_string(::getpid()));
    server::CallSettings settings;
    settings.model = &model;
    settings.output.dir = out.string();
    settings.output.stream_buffer_bytes = 2048;  // as tonewatch serve sets it

    std::printf("machine: %s, %ld cores online; %.0f s of audio per call, 20 ms per leg write\n", bench::cpuinfo_field("model name").c_str(),
                sysconf(_SC_NPROCESSORS_ONLN), seconds);
    std::printf("%6s %16s %16s %16s %8s\n", "calls", "write ms/call-s", "pump ms/call-s", "pump vs 1st row", "events");
    double first_row = 0.0;
    for (int n : counts) {
      const Figures f = run(n, seconds, caller, agent, settings);
      if (first_row == 0.0) first_row = f.pump_ms_per_call_s;
      const auto expected = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(seconds * 50.0) * 160u;
      if (f.analysed_frames + static_cast<std::uint64_t>(n) * 1024u < expected) {
        std::fprintf(stderr, "worker_bench: only %llu of %llu frames analysed\n",
                     static_cast<unsigned long long>(f.analysed_frames), static_cast<unsigned long long>(expected));
        return 1;
      }
      std::printf("%6d %16.3f %16.3f %15.2fx %8ld\n", n, f.write_ms_per_call_s, f.pump_ms_per_call_s,
                  f.pump_ms_per_call_s / first_row, f.events);
      std::fflush(stdout);
      std::filesystem::remove_all(out);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worker_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
