#pragma once
// The whole call pipeline timed as the product runs it: CallSession over in-memory audio,
// end to end from a file through pipeline::run, and decoding alone; each run's fingerprint
// (to check the work happened and every run agrees); and the figures over interleaved
// rounds of runs. Apart from tw_bench.cpp (which builds the calls and prints the report)
// because the stage timings (stage_timings.cpp) run the pipeline in their rounds too.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "bench_settings.h"
#include "bench_timing.h"
#include "counting_sink.h"
#include "dsp/stream_spec.h"
#include "pipeline/call_session.h"
#include "pipeline/run.h"

namespace tw::bench {

constexpr int kRateHz = dsp::kAnalysisRateHz;
constexpr std::size_t kFrameSamples = dsp::kFrameSize40ms8kHz;
constexpr std::size_t kHopSamples = dsp::kHopSize10ms8kHz;
/// pipeline::run's blocks (160 ms); the in-memory path feeds the same blocks.
constexpr std::size_t kBlockFrames = pipeline::kRunBlockFrames;

/// One call's whole pipeline (features + detection) with the counting sink as tap and event sink.
std::unique_ptr<pipeline::CallSession> make_session(int channels, CountingSink& sink);

/// What a run computed, to check it did real work and that every run agrees.
struct Fingerprint {
  double speech_s = 0.0, voiced_s = 0.0, f0_median_st = 0.0, loudness_median_db = 0.0;
  std::int64_t syllables = 0, windows = 0, events = 0;
  bool plausible = false;  ///< every channel has speech, voiced hops, syllables and a finite F0 median
  bool operator==(const Fingerprint&) const = default;
};

struct RunResult {
  Timing timing;
  Fingerprint fingerprint;
  std::int64_t allocations = 0;  ///< operator new calls inside the timed part
};

/// (a) The call pipeline (features and detection): CallSession::process over
/// in-memory audio in pipeline::run's 160 ms blocks, then finish(). Constructing
/// the session is not timed.
RunResult run_in_memory(std::span<const float> interleaved, int channels);

/// (b) End to end: open and decode the file, present it at the analysis rate and
/// drive the analyzer with pipeline::run, all timed (as a batch job pays it).
RunResult run_from_file(const std::string& path);

/// Decoding alone: the same sources and block size as pipeline::run, no analysis.
RunResult run_source_only(const std::string& path);

struct PipelineFigures {
  std::string call, path;
  double audio_s = 0.0;
  int channels = 0;
  std::int64_t hops_per_channel = 0;
  std::vector<Timing> runs;
  std::int64_t max_allocations = 0;
  long involuntary_switches = 0;
  Fingerprint fingerprint;
  bool deterministic = true;  ///< every run produced the same fingerprint

  Spread wall() const {
    std::vector<double> v;
    for (const Timing& t : runs) v.push_back(t.wall_s);
    return spread_of(v);
  }
  Spread cpu() const {
    std::vector<double> v;
    for (const Timing& t : runs) v.push_back(t.cpu_s);
    return spread_of(v);
  }
  /// Call seconds per wall second (all channels analysed).
  Spread call_xrt() const { return rate_of(audio_s, wall()); }
  /// Call seconds per CPU-second of the one thread: what the call-level figure is
  /// when the thread has its core to itself (wall time also counts other processes).
  Spread call_xrt_cpu() const { return rate_of(audio_s, cpu()); }
  /// Channel-seconds per CPU-second of the one thread.
  Spread channel_xrt_per_core() const { return rate_of(audio_s * channels, cpu()); }
  /// CPU ns per hop of one channel.
  Spread ns_per_channel_hop() const {
    const double hops = static_cast<double>(hops_per_channel) * channels;
    const Spread c = cpu();
    return {c.median * 1e9 / hops, c.min * 1e9 / hops, c.max * 1e9 / hops};
  }
};

/// A pipeline to time: its figures so far and one run of it.
struct PipelineJob {
  PipelineFigures figures;
  std::function<RunResult()> once;
};

PipelineJob pipeline_job(const std::string& call, const std::string& path, double audio_s, int channels,
                         std::function<RunResult()> once);

/// Adds one run to the figures (`first`: its fingerprint is the one later runs must match).
void record(PipelineFigures& f, const RunResult& r, bool first);

/// Warm-up runs of every job, then `runs` rounds in which every job runs once.
/// Interleaving spreads any drift in the machine's speed (other processes,
/// caches, clocks) over all jobs alike, so rows stay comparable with each other.
void run_rounds(std::vector<PipelineJob>& jobs, const Settings& settings);

nlohmann::json to_json(const PipelineFigures& f);

}  // namespace tw::bench
