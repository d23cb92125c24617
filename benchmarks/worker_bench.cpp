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
// Side by side in the same run, the same call-seconds analysed as batch does: one
// CallSession at a time (features and detection, counting sink, no outputs), fed
// 100 ms blocks, so each row states the workers' cost as a ratio to batch's (issue
// 28's target: <= 1.3x). With --stagger the two legs of a call arrive half a packet
// apart with a worker poll in between, as they do from a network, so a call is
// marked ready twice per packet period.
//
//   build/benchmarks/worker_bench [--calls 1 100 400 1000] [--seconds 20] [--stagger]

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
#include "counting_sink.h"
#include "dsp/stream_spec.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "server/live_call.h"
#include "build_paths.h"

namespace {
using namespace tw;
using bench::thread_cpu_s;

using bench::CountingSink;

struct Figures {
  double write_ms_per_call_s = 0.0;  ///< leg writes, per call-second of audio
  double pump_ms_per_call_s = 0.0;   ///< worker pumps, per call-second of audio
  double batch_ms_per_call_s = 0.0;  ///< the same audio through one CallSession at a time
  long pumps = 0;                    ///< pump() calls made
  long events = 0;
  std::uint64_t analysed_frames = 0;
};

/// Batch's cost for the same call-seconds: each call's audio (the same stretches the
/// live calls were given) through its own CallSession, one call after another.
double batch_ms_per_call_s(int calls, double seconds, const std::vector<float>& caller, const std::vector<float>& agent,
                           const detect::AgitationModel& model) {
  constexpr std::size_t kTick = 160, kBlock = 800;  // 100 ms blocks, as tw_bench's in-memory runs
  const auto frames = static_cast<std::size_t>(seconds * 50.0) * kTick;
  const std::size_t length = caller.size() - kTick;
  std::vector<float> interleaved(2 * kBlock);
  CountingSink sink;
  double spent_s = 0.0;
  for (int i = 0; i < calls; ++i) {
    pipeline::CallSession session("batch", pipeline::SessionConfig{}, model, pipeline::ChannelLayout{}.roles_for(2), sink);
    session.add_tap(sink);
    const double t0 = thread_cpu_s();
    for (std::size_t done = 0; done < frames; done += kBlock) {
      const std::size_t n = std::min(kBlock, frames - done);
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t at = (done + j + static_cast<std::size_t>(i) * 2953) % length;
        interleaved[2 * j] = caller[at];
        interleaved[2 * j + 1] = agent[at];
      }
      session.process(std::span<const float>(interleaved.data(), 2 * n));
    }
    spent_s += thread_cpu_s() - t0;
  }
  return 1e3 * spent_s / (static_cast<double>(calls) * static_cast<double>(frames) / 8000.0);
}

Figures run(int calls, double seconds, const std::vector<float>& caller, const std::vector<float>& agent,
            const server::CallSettings& settings, bool stagger, int pump_every) {
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
  long pumps = 0;
  // One worker poll: every call marked ready is pumped.
  const auto poll = [&] {
    const double t0 = thread_cpu_s();
    const std::int64_t now = server::steady_now_ns();
    for (auto& call : live) {
      if (call->take_ready()) {
        call->pump(now);
        ++pumps;
      }
    }
    pump_s += thread_cpu_s() - t0;
  };
  const auto write = [&](std::size_t t, int leg, const std::vector<float>& audio) {
    const double t0 = thread_cpu_s();
    for (int i = 0; i < calls; ++i) {
      // Each call starts at its own place in the example, so the calls differ.
      const std::size_t at = (t * kTick + static_cast<std::size_t>(i) * 2953) % length;
      live[static_cast<std::size_t>(i)]->leg(leg).write(std::span<const float>(audio.data() + at, kTick));
    }
    write_s += thread_cpu_s() - t0;
  };
  for (std::size_t t = 0; t < ticks; ++t) {
    write(t, 0, caller);
    if (stagger) poll();
    write(t, 1, agent);
    if ((t + 1) % static_cast<std::size_t>(pump_every) == 0) poll();
  }
  Figures f;
  f.pumps = pumps;
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
  bool stagger = false;
  int pump_every = 1;
  std::string example = tw::build::source_dir() + "/examples/example_call.wav";
  app.add_option("--calls", counts, "Numbers of concurrent calls, run one after the other")
      ->check(CLI::Range(1, 5000));
  app.add_option("--seconds", seconds, "Audio per call")->check(CLI::Range(1.0, 600.0));
  app.add_option("--pump-every", pump_every, "Pump the calls after every Nth packet period")->check(CLI::Range(1, 50));
  app.add_flag("--stagger", stagger, "Each call's two legs arrive half a packet apart, a worker poll between them");
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

    std::printf("machine: %s, %ld cores online; %.0f s of audio per call, 20 ms per leg write%s\n",
                bench::cpuinfo_field("model name").c_str(), sysconf(_SC_NPROCESSORS_ONLN), seconds,
                stagger ? ", legs half a packet apart" : "");
    std::printf("%6s %16s %16s %16s %16s %13s %11s %8s\n", "calls", "write ms/call-s", "pump ms/call-s", "pump vs 1st row",
                "batch ms/call-s", "pump / batch", "pumps/call-s", "events");
    double first_row = 0.0;
    for (int n : counts) {
      Figures f = run(n, seconds, caller, agent, settings, stagger, pump_every);
      // Batch over as many call-seconds, capped at 100 calls' worth (its calls run one
      // at a time, so more of them only take longer).
      f.batch_ms_per_call_s = batch_ms_per_call_s(std::min(n, 100), seconds, caller, agent, model);
      if (first_row == 0.0) first_row = f.pump_ms_per_call_s;
      const auto expected = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(seconds * 50.0) * 160u;
      if (f.analysed_frames + static_cast<std::uint64_t>(n) * 1024u < expected) {
        std::fprintf(stderr, "worker_bench: only %llu of %llu frames analysed\n",
                     static_cast<unsigned long long>(f.analysed_frames), static_cast<unsigned long long>(expected));
        return 1;
      }
      std::printf("%6d %16.3f %16.3f %15.2fx %16.3f %12.2fx %11.1f %8ld\n", n, f.write_ms_per_call_s,
                  f.pump_ms_per_call_s, f.pump_ms_per_call_s / first_row, f.batch_ms_per_call_s,
                  f.pump_ms_per_call_s / f.batch_ms_per_call_s,
                  static_cast<double>(f.pumps) / (static_cast<double>(n) * seconds), f.events);
      std::fflush(stdout);
      std::filesystem::remove_all(out);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worker_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
