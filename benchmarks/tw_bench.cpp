// tw_bench: how fast tonewatch's per-hop feature pipeline runs on one thread.
//
// Default command, on the bundled example call and on a long call made from it:
//  - x-realtime of CallSession::process (features and detection) on in-memory 8 kHz
//    audio with a tap and event sink that only count (the product path minus file
//    decoding and output writing);
//  - x-realtime end to end from the file through the one driver pipeline::run with
//    io::AudioFileSource + io::ResamplingSource (what `tonewatch analyze` does
//    before detection and reporting);
//  - every feature stage in isolation over the frames of the long call's caller
//    channel, in ns per hop;
//  - memory: peak RSS and the growth per added CallSession;
//  - the machine, and reference KissFFT timings so readers can scale.
// Subcommands write the mono WAVs for the aubio comparison and time one file.
//
// Time is the thread's CPU time (what the work costs a core) and, for the
// call-level figure, also wall time (what a user waits, including time the
// scheduler gave to other processes). Each figure is the median of N runs after
// warm-up runs, with the minimum and maximum over the runs as its spread.
//
// This file holds the audio it builds, the KissFFT reference, the memory per stream,
// the report and the commands; the rest is in units of their own:
//   bench_timing.h        one run's wall and CPU time, median [min-max] over runs;
//   bench_settings.h      the command line's settings and the progress stream;
//   bench_machine.{h,cpp} the machine, load and resident memory;
//   pipeline_runs.{h,cpp} the call pipeline timed in memory, from the file, decoding only;
//   stage_timings.{h,cpp} every feature stage alone over one channel's frames;
//   allocation_counters.h the counters of the operator new replaced below (only here).

#include <CLI/CLI.hpp>
#include <malloc.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "allocation_counters.h"
#include "bench_machine.h"
#include "bench_settings.h"
#include "bench_timing.h"
#include "counting_sink.h"
#include "dsp/resampler.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "kissfft_reference.h"
#include "pipeline/call_session.h"
#include "pipeline_runs.h"
#include "stage_timings.h"

// ---------------------------------------------------------------------------
// Counting operator new: allocations inside timed loops are reported (the
// analysis path promises none), and live heap bytes give the memory per stream.
// The one replacement in tw_bench; the other files read the counters through
// allocation_counters.h.
namespace tw::bench {
std::atomic<std::int64_t> g_allocations{0};
std::atomic<std::int64_t> g_live_heap_bytes{0};
}  // namespace tw::bench

namespace {
using tw::bench::g_allocations;
using tw::bench::g_live_heap_bytes;

void* counted_alloc(std::size_t bytes) {
  void* p = std::malloc(bytes == 0 ? 1 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live_heap_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  g_live_heap_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t bytes) { return counted_alloc(bytes); }
void* operator new[](std::size_t bytes) { return counted_alloc(bytes); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace tw::bench {
namespace {

using nlohmann::json;

/// Targets: one channel at >= 2000x real time per core is <= 5 us per 10 ms hop;
/// a stereo call at >= 2000x on one thread is <= 2.5 us per channel-hop.
constexpr double kTargetXrt = 2000.0;
constexpr double kTargetChannelHopUs = 5.0;
constexpr double kStretchChannelHopUs = 2.5;
/// The target as a ratio (issue 28), which a slow or fast day does not move: the
/// stereo call's CPU per channel-hop in units of one 320-point KissFFT real forward
/// transform timed in the same run. The floor (one forward transform a hop and the
/// pitch search's inverse where it runs) is about 1.2 units.
constexpr double kTargetKissUnitsPerChannelHop = 1.6;

// --------------------------------------------------------------------------- audio

struct Audio {
  std::vector<float> interleaved;  ///< at kRateHz
  int channels = 0;
  std::string description;
  std::int64_t frames() const { return static_cast<std::int64_t>(interleaved.size()) / channels; }
  double seconds() const { return static_cast<double>(frames()) / kRateHz; }
};

/// Decodes a file to the analysis rate through the product's own sources.
Audio decode(const std::string& path) {
  io::AudioFileSource file(path);
  io::ResamplingSource source(file, kRateHz);
  Audio audio;
  audio.channels = file.format().channels;
  audio.description = file.format().description + ", " + std::to_string(file.format().sample_rate_hz) + " Hz, " +
                      std::to_string(audio.channels) + " ch";
  audio.interleaved = io::read_all(source);
  if (audio.interleaved.empty()) throw std::runtime_error(path + ": no audio");
  return audio;
}

/// The signal repeated end to end (plain concatenation, no cross-fade) and cut at `frames`.
std::vector<float> repeat_to(std::span<const float> interleaved, int channels, std::int64_t frames) {
  std::vector<float> out(static_cast<std::size_t>(frames) * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < out.size(); i += interleaved.size()) {
    std::copy_n(interleaved.begin(), std::min(interleaved.size(), out.size() - i), out.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return out;
}

/// Writes `interleaved` repeated end to end up to `frames` frames, block by
/// block (the long call never has to be held in memory). `format` is a
/// libsndfile format such as SF_FORMAT_WAV | SF_FORMAT_ULAW.
void write_repeated(const std::string& path, std::span<const float> interleaved, int channels, int rate_hz,
                    std::int64_t frames, int format) {
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = channels;
  info.format = format;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  if (file == nullptr) throw std::runtime_error(path + ": cannot write: " + sf_strerror(nullptr));
  const auto period = static_cast<std::int64_t>(interleaved.size()) / channels;
  std::int64_t written = 0;
  while (written < frames) {
    const std::int64_t n = std::min(period, frames - written);
    if (sf_writef_float(file, interleaved.data(), n) != n) {
      const std::string error = sf_strerror(file);
      sf_close(file);
      throw std::runtime_error(path + ": write failed: " + error);
    }
    written += n;
  }
  if (sf_close(file) != 0) throw std::runtime_error(path + ": close failed");
}

std::vector<float> channel_of(std::span<const float> interleaved, int channels, int channel) {
  std::vector<float> out(interleaved.size() / static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(channel)];
  return out;
}

// --------------------------------------------------------------------------- KissFFT reference

struct FftFigures {
  std::string name;
  Spread ns_per_call;
};

/// One KissFFT real transform called again and again on the same data (hot
/// caches): the unit other machines can scale tw_bench's figures by.
FftFigures time_kiss_fft(int size, bool inverse, const Settings& settings) {
  KissFftReference reference(size, inverse);
  constexpr int kCalls = 200000;
  std::vector<double> ns;
  for (int i = -settings.warmup; i < settings.runs; ++i) {
    const double round_ns = reference.ns_per_call(kCalls);
    if (i >= 0) ns.push_back(round_ns);
  }
  return {std::string(inverse ? "kiss_fftri " : "kiss_fftr ") + std::to_string(size) + (inverse ? " (inverse)" : ""),
          spread_of(ns)};
}

// --------------------------------------------------------------------------- memory

struct StreamMemory {
  int streams = 0;
  double rss_kib_per_stream = 0.0;
  double heap_bytes_per_stream = 0.0;
};

/// RSS and live heap growth per added stereo CallSession, each fed 2 s of the
/// example so every buffer it owns has been touched.
StreamMemory measure_stream_memory(const Audio& example, int streams) {
  CountingSink sink;
  const std::size_t two_seconds = std::min(example.interleaved.size(), static_cast<std::size_t>(2 * kRateHz * example.channels));
  const std::span<const float> head(example.interleaved.data(), two_seconds);
  make_session(example.channels, sink)->process(head);
  std::vector<std::unique_ptr<pipeline::CallSession>> sessions;
  sessions.reserve(static_cast<std::size_t>(streams));
  const long rss = vm_rss_kib();
  const std::int64_t heap = g_live_heap_bytes.load();
  for (int i = 0; i < streams; ++i) {
    sessions.push_back(make_session(example.channels, sink));
    sessions.back()->process(head);
  }
  StreamMemory m;
  m.streams = streams;
  m.rss_kib_per_stream = static_cast<double>(vm_rss_kib() - rss) / streams;
  m.heap_bytes_per_stream = static_cast<double>(g_live_heap_bytes.load() - heap) / streams;
  return m;
}

// --------------------------------------------------------------------------- report

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string with_range(const Spread& s, int digits) {
  return fixed(s.median, digits) + " [" + fixed(s.min, digits) + "-" + fixed(s.max, digits) + "]";
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

void print_pipeline_header(std::ostream& out) {
  out << pad("call", 26) << pad("path", 12) << pad("call x-RT (CPU)", 21) << pad("call x-RT (wall)", 21)
      << pad("channel x-RT/core", 21) << pad("ns/channel-hop", 21) << "allocs/run\n";
}

void print_pipeline_row(std::ostream& out, const PipelineFigures& f) {
  out << pad(f.call, 26) << pad(f.path, 12) << pad(with_range(f.call_xrt_cpu(), 0), 21)
      << pad(with_range(f.call_xrt(), 0), 21) << pad(with_range(f.channel_xrt_per_core(), 0), 21)
      << pad(with_range(f.ns_per_channel_hop(), 0), 21) << f.max_allocations << "\n";
}

const char* verdict(bool pass) { return pass ? "MET" : "NOT MET"; }

// --------------------------------------------------------------------------- commands

int run_full(const Settings& settings) {
  const Machine machine = describe_machine();
  const std::string load_start = load_average();
  progress() << "tw_bench: " << settings.runs << " runs after " << settings.warmup << " warm-up run(s), one thread\n";

  const Audio example = decode(settings.example);
  const auto long_frames = static_cast<std::int64_t>(std::llround(settings.minutes * 60.0 * kRateHz));
  const double long_s = static_cast<double>(long_frames) / kRateHz;
  const std::string long_name = fixed(settings.minutes, 0) + "-min call";
  const std::string example_name = "example " + fixed(example.seconds(), 1) + " s";

  // The long call on disk, in the example's encoding (u-law WAV), written block by block.
  const std::string long_path =
      (std::filesystem::path(settings.tmp_dir) / ("tw_bench_" + std::to_string(getpid()) + "_long.wav")).string();
  write_repeated(long_path, example.interleaved, example.channels, kRateHz, long_frames, SF_FORMAT_WAV | SF_FORMAT_ULAW);
  const long rss_at_start = peak_rss_kib();

  // Peak RSS of a streaming run: one end-to-end run of the long call before any big buffer exists.
  progress() << "one end-to-end run of the long call for its peak RSS...\n";
  const RunResult probe = run_from_file(long_path);
  const long rss_after_file_run = peak_rss_kib();

  progress() << "memory per added stream (" << settings.streams << " stereo CallSessions)...\n";
  const StreamMemory stream_memory = measure_stream_memory(example, settings.streams);

  // (a) in memory and (b) end to end from the file, interleaved in rounds.
  progress() << "throughput, in memory and from the file:\n";
  std::vector<PipelineFigures> pipelines;  // example file, long file, example in memory, long in memory
  PipelineFigures decode_only;
  std::vector<float> caller;
  {
    const std::vector<float> long_call = repeat_to(example.interleaved, example.channels, long_frames);
    caller = channel_of(long_call, example.channels, 0);
    std::vector<PipelineJob> jobs;
    jobs.push_back(pipeline_job(example_name, "file", example.seconds(), example.channels,
                                [&] { return run_from_file(settings.example); }));
    jobs.push_back(pipeline_job(long_name, "file", long_s, example.channels, [&] { return run_from_file(long_path); }));
    jobs.push_back(pipeline_job(example_name, "in memory", example.seconds(), example.channels,
                                [&] { return run_in_memory(example.interleaved, example.channels); }));
    jobs.push_back(pipeline_job(long_name, "in memory", long_s, example.channels,
                                [&] { return run_in_memory(long_call, example.channels); }));
    jobs.push_back(pipeline_job(long_name, "decode only", long_s, example.channels,
                                [&] { return run_source_only(long_path); }));
    run_rounds(jobs, settings);
    for (std::size_t i = 0; i < 4; ++i) pipelines.push_back(jobs[i].figures);
    decode_only = jobs[4].figures;
  }
  if (!settings.keep_files) std::filesystem::remove(long_path);
  const long rss_after_memory_runs = peak_rss_kib();

  progress() << "stages in isolation over the caller channel's frames, with the pipeline on that channel:\n";
  const StageFrames frames = collect_frames(caller);
  caller = {};
  PipelineJob caller_job = pipeline_job(long_name + ", caller ch", "in memory", long_s, 1,
                                        [&] { return run_in_memory(frames.channel(), 1); });
  const StageReport stages = time_stages(frames, caller_job, settings);
  const PipelineFigures& caller_only = caller_job.figures;

  progress() << "KissFFT reference...\n";
  std::vector<FftFigures> ffts = {time_kiss_fft(320, false, settings), time_kiss_fft(256, false, settings),
                                  time_kiss_fft(160, true, settings)};
  const long rss_final = peak_rss_kib();
  const std::string load_end = load_average();

  // ---- sanity: the work happened and was the same every time.
  std::vector<std::string> problems;
  for (const PipelineFigures& f : pipelines) {
    if (!f.fingerprint.plausible) problems.push_back(f.call + " " + f.path + ": implausible features (no speech, voicing or syllables)");
    if (!f.deterministic) problems.push_back(f.call + " " + f.path + ": runs disagree");
  }
  if (!caller_only.fingerprint.plausible || !caller_only.deterministic) problems.push_back("caller channel run failed its checks");
  if (!(probe.fingerprint == pipelines[1].fingerprint)) problems.push_back("the peak-RSS run of the long call differs from the timed runs");
  if (!(pipelines[0].fingerprint == pipelines[2].fingerprint)) {
    problems.push_back("the example gives different features from the file and from memory");
  }
  for (const StageFigures& st : stages.stages) {
    if (!std::isfinite(st.checksum) || st.checksum == 0.0) problems.push_back("stage " + st.name + ": trivial checksum");
  }
  if (stages.mismatches != 0) {
    problems.push_back("stages in isolation disagree with the pipeline on " + std::to_string(stages.mismatches) + " hops");
  }
  const bool long_file_matches_memory = pipelines[1].fingerprint == pipelines[3].fingerprint;

  // ---- table.
  std::ostream& out = std::cout;
  out << "tonewatch feature pipeline benchmark (tw_bench)\n\n";
  print_machine(out, machine, load_start);
  out << "load average at end " << load_end << "\n\n";
  out << "example   " << settings.example << " (" << example.description << ", " << fixed(example.seconds(), 2) << " s)\n"
      << "long call the decoded example repeated end to end (plain concatenation) and cut at " << fixed(long_s, 0)
      << " s (" << fixed(static_cast<double>(long_frames) / static_cast<double>(example.frames()), 2)
      << " copies); on disk for the file runs as u-law WAV like the example\n\n";

  out << "Throughput, one thread: median [min-max] of " << settings.runs << " runs after " << settings.warmup
      << " warm-up run(s)\n";
  print_pipeline_header(out);
  for (const PipelineFigures& f : pipelines) print_pipeline_row(out, f);
  print_pipeline_row(out, caller_only);
  out << "  call x-RT: call seconds (both channels analysed) per CPU-second of the one thread, and per wall second\n"
         "  (wall also counts time the scheduler gave to other processes: see the load average). channel x-RT/core:\n"
         "  channel-seconds per CPU-second. ns/channel-hop: CPU ns per 10 ms hop of one channel.\n"
         "  'file' = open + libsndfile decode + ResamplingSource + pipeline::run + CallSession (features and detection,\n"
         "  no output writing; file in the page cache). 'in memory' = CallSession::process in 160 ms blocks, session\n"
         "  construction untimed. The tap and event sink only count windows and events. allocs/run: operator new calls\n"
         "  in the timed part (for 'file' that includes opening the file and building the session).\n";
  out << "  decoding alone (" << long_name << ", AudioFileSource + ResamplingSource, 160 ms reads): "
      << fixed(decode_only.ns_per_channel_hop().median * example.channels, 0) << " ns per 10 ms of call ("
      << fixed(decode_only.call_xrt().median, 0) << "x real time)\n";
  out << "  involuntary context switches during the timed runs: ";
  for (const PipelineFigures& f : pipelines) out << f.involuntary_switches << " ";
  out << "(each one means the core was taken away)\n\n";

  out << "Stages in isolation: " << stages.hops << " hops of the " << long_name
      << " caller channel, thread CPU ns per hop, median [min-max] of " << settings.runs << " runs\n";
  double stage_sum = 0.0;
  for (const StageFigures& st : stages.stages) {
    stage_sum += st.ns_per_hop.median;
    out << "  " << pad(st.name, 22) << pad(with_range(st.ns_per_hop, 1), 26) << st.what;
    if (st.per_call_ns > 0.0) {
      out << "; " << fixed(100.0 * stages.pitch_analysed_fraction, 1) << "% of hops analysed, "
          << fixed(st.per_call_ns, 0) << " ns each";
    }
    out << "\n";
  }
  out << "  " << pad("sum of stages", 22) << fixed(stage_sum, 1) << "\n";
  out << "  " << pad("pipeline, caller ch", 22) << fixed(caller_only.ns_per_channel_hop().median, 1)
      << "   CallSession on the same channel alone, in memory\n";
  out << "  Stage costs in isolation do not sum exactly to the pipeline: alone, each stage has the caches and\n"
         "  branch predictors to itself and reads stored spectra from memory; the pipeline adds the de-interleave\n"
         "  and clip count, HopFeatures assembly and the sink calls. Side inputs (voicing, noise floor) come from\n"
         "  the pipeline's own output; every stage alone reproduced the pipeline's values on "
      << (stages.mismatches == 0 ? "every hop" : "all but " + std::to_string(stages.mismatches) + " hops") << ".\n"
      << "  " << fixed(100.0 * stages.below_voiced_snr_fraction, 1)
      << "% of hops lie below the VAD's voiced SNR (the VAD decision does not read their voicing).\n\n";

  out << "KissFFT reference (same input over and over, hot cache), CPU ns per call\n";
  for (const FftFigures& f : ffts) out << "  " << pad(f.name, 26) << with_range(f.ns_per_call, 1) << "\n";
  out << "\n";

  const double long_call_mib = static_cast<double>(long_frames) * example.channels * sizeof(float) / 1048576.0;
  out << "Memory (peak RSS from getrusage ru_maxrss; it only grows, so each line includes the ones above)\n"
      << "  " << pad("before any analysis", 42) << fixed(rss_at_start / 1024.0, 1)
      << " MiB (program, libraries, the decoded example)\n"
      << "  " << pad("one end-to-end run of the long call", 42) << fixed(rss_after_file_run / 1024.0, 1)
      << " MiB (streaming from the file: what `analyze` needs)\n"
      << "  " << pad("after the throughput runs", 42) << fixed(rss_after_memory_runs / 1024.0, 1) << " MiB (adds the "
      << fixed(long_call_mib, 0) << " MiB in-memory long call and its caller channel)\n"
      << "  " << pad("whole benchmark", 42) << fixed(rss_final / 1024.0, 1)
      << " MiB (adds the stored spectra for the stage runs)\n"
      << "  " << pad("per added stereo CallSession", 42) << fixed(stream_memory.rss_kib_per_stream, 1) << " KiB RSS, "
      << fixed(stream_memory.heap_bytes_per_stream / 1024.0, 1) << " KiB live heap (mean over "
      << stream_memory.streams << " analyzers, each fed 2 s)\n\n";

  const PipelineFigures& long_memory = pipelines[3];
  const PipelineFigures& long_file = pipelines[1];
  const double channel_hop_us = caller_only.ns_per_channel_hop().median / 1000.0;
  const double stereo_hop_us = long_memory.ns_per_channel_hop().median / 1000.0;
  // ffts[0] is the 320-point forward transform (the frame's).
  const double kiss_ns = ffts[0].ns_per_call.median;
  const double kiss_units = long_memory.ns_per_channel_hop().median / kiss_ns;
  out << "Targets\n"
      << "  stereo call, whole feature set <= " << fixed(kTargetKissUnitsPerChannelHop, 1)
      << " KissFFT-320 units per channel-hop (a ratio, the same on a slow or a fast day): "
      << verdict(kiss_units <= kTargetKissUnitsPerChannelHop) << " - " << fixed(kiss_units, 2) << " units ("
      << fixed(long_memory.ns_per_channel_hop().median, 0) << " ns per channel-hop / " << fixed(kiss_ns, 0)
      << " ns per transform, in memory, CPU time)\n"
      << "  absolute, for reference (they move with the machine's speed of the day):\n"
      << "  one channel >= " << kTargetXrt << "x real time per core (<= " << kTargetChannelHopUs << " us per channel-hop): "
      << verdict(channel_hop_us <= kTargetChannelHopUs) << " - " << fixed(channel_hop_us, 2) << " us, "
      << fixed(caller_only.channel_xrt_per_core().median, 0) << "x (in memory, caller channel)\n"
      << "  stereo call >= " << kTargetXrt << "x real time on one thread (<= " << kStretchChannelHopUs
      << " us per channel-hop): " << verdict(long_memory.call_xrt_cpu().median >= kTargetXrt) << " - "
      << fixed(stereo_hop_us, 2) << " us, " << fixed(long_memory.call_xrt_cpu().median, 0) << "x in memory; "
      << fixed(long_file.call_xrt_cpu().median, 0) << "x end to end from the file (CPU time; wall: "
      << fixed(long_memory.call_xrt().median, 0) << "x and " << fixed(long_file.call_xrt().median, 0) << "x)\n\n";

  out << "Checks: " << (problems.empty() ? "all passed" : "FAILED") << " (features plausible, runs identical, file and memory"
      << " agree on the example, stages reproduce the pipeline); the long call from its u-law file "
      << (long_file_matches_memory ? "gives the same features as" : "differs slightly from") << " the in-memory long call\n";
  for (const std::string& p : problems) out << "  PROBLEM: " << p << "\n";
  out << "  features of the " << long_name << ": speech " << fixed(long_memory.fingerprint.speech_s, 1) << " s, voiced "
      << fixed(long_memory.fingerprint.voiced_s, 1) << " s, " << long_memory.fingerprint.syllables << " syllables, "
      << long_memory.fingerprint.windows << " window summaries\n";

  if (!settings.json_path.empty()) {
    json j;
    j["tool"] = "tw_bench";
    j["machine"] = to_json(machine);
    j["load_average"] = {{"start", load_start}, {"end", load_end}};
    j["settings"] = {{"runs", settings.runs}, {"warmup", settings.warmup}, {"minutes", settings.minutes},
                     {"example", settings.example}, {"block_ms", 100}};
    j["example"] = {{"description", example.description}, {"seconds", example.seconds()}};
    j["long_call"] = {{"seconds", long_s}, {"construction", "decoded example repeated end to end, cut; u-law WAV on disk"},
                      {"file_matches_memory", long_file_matches_memory}};
    j["pipelines"] = json::array();
    for (const PipelineFigures& f : pipelines) j["pipelines"].push_back(to_json(f));
    j["pipelines"].push_back(to_json(caller_only));
    j["decode_only"] = to_json(decode_only);
    j["stages"] = {{"hops", stages.hops}, {"pitch_analysed_fraction", stages.pitch_analysed_fraction},
                   {"below_voiced_snr_fraction", stages.below_voiced_snr_fraction},
                   {"sum_ns_per_hop", stage_sum}, {"pipeline_caller_ns_per_hop", caller_only.ns_per_channel_hop().median},
                   {"mismatches_with_pipeline", stages.mismatches}, {"list", json::array()}};
    for (const StageFigures& st : stages.stages) j["stages"]["list"].push_back(to_json(st));
    j["kissfft"] = json::array();
    for (const FftFigures& f : ffts) j["kissfft"].push_back({{"transform", f.name}, {"ns_per_call_cpu", to_json(f.ns_per_call)}});
    j["memory"] = {{"peak_rss_kib_start", rss_at_start},
                   {"peak_rss_kib_after_long_file_run", rss_after_file_run},
                   {"peak_rss_kib_after_memory_runs", rss_after_memory_runs},
                   {"peak_rss_kib_final", rss_final},
                   {"per_stream_rss_kib", stream_memory.rss_kib_per_stream},
                   {"per_stream_heap_bytes", stream_memory.heap_bytes_per_stream},
                   {"streams_measured", stream_memory.streams}};
    j["targets"] = {{"kissfft_units_per_channel_hop", kiss_units},
                    {"kissfft_units_target", kTargetKissUnitsPerChannelHop},
                    {"kissfft_units_target_met", kiss_units <= kTargetKissUnitsPerChannelHop},
                    {"channel_hop_us", channel_hop_us},
                    {"channel_target_met", channel_hop_us <= kTargetChannelHopUs},
                    {"stereo_call_xrt_cpu", long_memory.call_xrt_cpu().median},
                    {"stereo_call_xrt_file_cpu", long_file.call_xrt_cpu().median},
                    {"stereo_call_xrt_wall", long_memory.call_xrt().median},
                    {"stereo_call_xrt_file_wall", long_file.call_xrt().median},
                    {"stereo_target_met", long_memory.call_xrt_cpu().median >= kTargetXrt}};
    j["checks"] = {{"passed", problems.empty()}, {"problems", problems}};
    std::ofstream file(settings.json_path);
    file << j.dump(2) << "\n";
    if (!file) throw std::runtime_error(settings.json_path + ": cannot write");
  }
  return problems.empty() ? 0 : 1;
}

struct MonoWavOptions {
  std::string out;
  int channel = 0;
  double minutes = 0.0;
  int rate_hz = kRateHz;
};

/// One channel of the example (optionally at another rate, optionally repeated
/// to a length) as a 16-bit PCM WAV: the input both tools read in compare_aubio.sh.
int run_mono_wav(const Settings& settings, const MonoWavOptions& options) {
  const Audio example = decode(settings.example);
  if (options.channel < 0 || options.channel >= example.channels) {
    throw std::invalid_argument("--channel " + std::to_string(options.channel) + ": the example has " +
                                std::to_string(example.channels) + " channel(s)");
  }
  std::vector<float> mono = channel_of(example.interleaved, example.channels, options.channel);
  if (options.rate_hz != kRateHz) {
    dsp::Resampler resampler(kRateHz, options.rate_hz, 1);
    std::vector<float> converted;
    auto append = [&](std::span<const float> block) { converted.insert(converted.end(), block.begin(), block.end()); };
    resampler.process(mono, append);
    resampler.flush(append);
    mono = std::move(converted);
  }
  const auto frames = options.minutes > 0.0
                          ? static_cast<std::int64_t>(std::llround(options.minutes * 60.0 * options.rate_hz))
                          : static_cast<std::int64_t>(mono.size());
  write_repeated(options.out, mono, 1, options.rate_hz, frames, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  std::cout << options.out << ": channel " << options.channel << ", " << options.rate_hz << " Hz, "
            << fixed(static_cast<double>(frames) / options.rate_hz, 2) << " s, 16-bit PCM WAV\n";
  return 0;
}

/// Times the whole feature set on one file: in memory and end to end. Prints
/// `result ...` lines that compare_aubio.sh reads. With `once`, a single end-to-end
/// run and nothing else (for timing the whole process from outside).
int run_file(const Settings& settings, const std::string& path, bool once) {
  if (once) {
    const RunResult r = run_from_file(path);
    if (!r.fingerprint.plausible) {
      std::cerr << "tw_bench: " << path << ": implausible features\n";
      return 1;
    }
    std::cout << "result path=file_once speech_s=" << r.fingerprint.speech_s << " wall_s=" << r.timing.wall_s << "\n";
    return 0;
  }
  const Machine machine = describe_machine();
  const std::string load = load_average();
  const Audio audio = decode(path);
  std::vector<PipelineJob> jobs;
  jobs.push_back(pipeline_job(path, "in memory", audio.seconds(), audio.channels,
                              [&] { return run_in_memory(audio.interleaved, audio.channels); }));
  jobs.push_back(pipeline_job(path, "file", audio.seconds(), audio.channels, [&] { return run_from_file(path); }));
  run_rounds(jobs, settings);
  std::vector<PipelineFigures> rows;
  for (const PipelineJob& job : jobs) rows.push_back(job.figures);
  print_machine(std::cout, machine, load);
  std::cout << "file      " << path << " (" << audio.description << ", " << fixed(audio.seconds(), 2) << " s)\n\n";
  print_pipeline_header(std::cout);
  for (const PipelineFigures& f : rows) print_pipeline_row(std::cout, f);
  bool ok = true;
  for (const PipelineFigures& f : rows) {
    ok = ok && f.fingerprint.plausible && f.deterministic;
    std::cout << "result path=" << (f.path == "file" ? "file" : "memory")
              << " call_xrt_cpu=" << fixed(f.call_xrt_cpu().median, 1) << " call_xrt_cpu_min=" << fixed(f.call_xrt_cpu().min, 1)
              << " call_xrt_cpu_max=" << fixed(f.call_xrt_cpu().max, 1) << " call_xrt_wall=" << fixed(f.call_xrt().median, 1)
              << " channel_xrt_per_core=" << fixed(f.channel_xrt_per_core().median, 1)
              << " ns_per_channel_hop=" << fixed(f.ns_per_channel_hop().median, 1) << " audio_s=" << fixed(f.audio_s, 2)
              << " plausible=" << (f.fingerprint.plausible ? 1 : 0) << "\n";
  }
  if (!settings.json_path.empty()) {
    json j = {{"tool", "tw_bench file"}, {"machine", to_json(machine)}, {"load_average_start", load},
              {"file", path}, {"pipelines", json::array()}};
    for (const PipelineFigures& f : rows) j["pipelines"].push_back(to_json(f));
    std::ofstream(settings.json_path) << j.dump(2) << "\n";
  }
  if (!ok) std::cerr << "tw_bench: " << path << ": implausible or non-deterministic features\n";
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tw::bench

int main(int argc, char** argv) {
  using namespace tw::bench;
  Settings settings;
  MonoWavOptions mono;
  std::string file_path;
  bool once = false;

  CLI::App app{
      "tw_bench: x-realtime of tonewatch's feature pipeline on one thread (in memory and end to end from the\n"
      "file), each stage in isolation, memory, and reference KissFFT timings. Without a subcommand it runs the\n"
      "whole benchmark on the example call and on a long call made by repeating it."};
  app.option_defaults()->always_capture_default();
  app.fallthrough();  // --runs, --json, ... also after a subcommand
  app.add_option("--runs", settings.runs, "Timed runs per figure (the median is reported)")->check(CLI::Range(1, 1000));
  app.add_option("--warmup", settings.warmup, "Untimed warm-up runs before them")->check(CLI::Range(0, 100));
  app.add_option("--example", settings.example, "The example call")->check(CLI::ExistingFile);
  app.add_option("--json", settings.json_path, "Also write the figures as JSON to this file");
  app.add_option("--minutes", settings.minutes, "Length of the long call built from the example")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--streams", settings.streams, "CallSessions added to measure memory per stream")
      ->check(CLI::Range(1, 10000));
  app.add_option("--tmp-dir", settings.tmp_dir, "Where the long call's WAV is written for the file runs")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--keep-files", settings.keep_files, "Keep the long call's WAV");
  app.add_flag("--quiet", g_quiet, "No progress messages on stderr");

  CLI::App* mono_cmd = app.add_subcommand("mono-wav", "Write one channel of the example as a mono 16-bit WAV");
  mono_cmd->add_option("--out", mono.out, "Output WAV")->required();
  mono_cmd->add_option("--channel", mono.channel, "Channel (0 = caller in the default layout)");
  mono_cmd->add_option("--minutes", mono.minutes, "Repeat the channel to this length (0: its own length)")
      ->check(CLI::Range(0.0, 600.0));
  mono_cmd->add_option("--rate", mono.rate_hz, "Sample rate of the output (converted with libsoxr)")
      ->check(CLI::Range(8000, 48000));

  CLI::App* file_cmd = app.add_subcommand("file", "Time the whole feature set on one file (mono or stereo)");
  file_cmd->add_option("path", file_path, "Audio file")->required()->check(CLI::ExistingFile);
  file_cmd->add_flag("--once", once, "One end-to-end run, no warm-up: for timing the whole process from outside");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (mono_cmd->parsed()) return run_mono_wav(settings, mono);
    if (file_cmd->parsed()) return run_file(settings, file_path, once);
    return run_full(settings);
  } catch (const std::exception& e) {
    std::cerr << "tw_bench: " << e.what() << "\n";
    return 2;
  }
}
