// The pipeline runs of tw_bench (pipeline_runs.h): one timed run in memory, from the file
// or decoding alone, and the rounds that interleave them. Kept apart from tw_bench.cpp so
// that the runs, which both the throughput table and the stage timings use, are one unit.

#include "pipeline_runs.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "allocation_counters.h"
#include "app/default_model.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/channel_layout.h"

namespace tw::bench {

using nlohmann::json;

namespace {

std::vector<features::SpeakerRole> roles_for(int channels) { return pipeline::ChannelLayout{}.roles_for(channels); }

/// The shipped model, loaded once and shared read-only by every session, as in the product.
const detect::AgitationModel& shared_model() {
  static const detect::AgitationModel model = app::load_agitation_model();
  return model;
}

}  // namespace

std::unique_ptr<pipeline::CallSession> make_session(int channels, CountingSink& sink) {
  auto session = std::make_unique<pipeline::CallSession>("bench", pipeline::SessionConfig{}, shared_model(),
                                                         roles_for(channels), sink);
  session->add_tap(sink);
  return session;
}

namespace {

Fingerprint fingerprint_of(const pipeline::CallSession& session, const CountingSink& sink) {
  Fingerprint fp;
  fp.windows = sink.windows;
  fp.events = sink.events;
  fp.plausible = sink.windows > 0;
  for (const pipeline::SpeakerReport& r : session.reports()) {
    const features::SpeakerTotals& t = r.totals;
    fp.speech_s += t.speech_time_s;
    fp.voiced_s += t.voiced_time_s;
    fp.syllables += t.syllables;
    fp.f0_median_st += t.f0_median_st;
    fp.loudness_median_db += t.loudness_median_db;
    fp.plausible = fp.plausible && t.speech_time_s > 0.0 && t.voiced_time_s > 0.0 && t.syllables > 0 &&
                   std::isfinite(t.f0_median_st) && std::isfinite(t.loudness_median_db);
  }
  return fp;
}

json to_json(const Fingerprint& fp) {
  return {{"speech_s", fp.speech_s},   {"voiced_s", fp.voiced_s},
          {"syllables", fp.syllables}, {"f0_median_st_sum", fp.f0_median_st},
          {"loudness_median_db_sum", fp.loudness_median_db}, {"windows", fp.windows}, {"events", fp.events},
          {"plausible", fp.plausible}};
}

}  // namespace

RunResult run_in_memory(std::span<const float> interleaved, int channels) {
  CountingSink sink;
  const std::unique_ptr<pipeline::CallSession> session = make_session(channels, sink);
  const std::size_t block = kBlockFrames * static_cast<std::size_t>(channels);
  RunResult r;
  const std::int64_t allocations = g_allocations.load(std::memory_order_relaxed);
  r.timing = time_once([&] {
    for (std::size_t offset = 0; offset < interleaved.size(); offset += block) {
      session->process(interleaved.subspan(offset, std::min(block, interleaved.size() - offset)));
    }
    session->finish();
  });
  r.allocations = g_allocations.load(std::memory_order_relaxed) - allocations;
  r.fingerprint = fingerprint_of(*session, sink);
  return r;
}

RunResult run_from_file(const std::string& path) {
  std::unique_ptr<pipeline::CallSession> session;
  CountingSink sink;
  RunResult r;
  const std::int64_t allocations = g_allocations.load(std::memory_order_relaxed);
  r.timing = time_once([&] {
    io::AudioFileSource file(path);
    io::ResamplingSource source(file, kRateHz);
    session = make_session(source.format().channels, sink);
    pipeline::run(source, *session);
    session->finish();
  });
  r.allocations = g_allocations.load(std::memory_order_relaxed) - allocations;
  r.fingerprint = fingerprint_of(*session, sink);
  return r;
}

RunResult run_source_only(const std::string& path) {
  RunResult r;
  double checksum = 0.0;
  const std::int64_t allocations = g_allocations.load(std::memory_order_relaxed);
  r.timing = time_once([&] {
    io::AudioFileSource file(path);
    io::ResamplingSource source(file, kRateHz);
    std::vector<float> block(kBlockFrames * static_cast<std::size_t>(source.format().channels));
    while (const std::size_t frames = source.read(block)) checksum += block[frames - 1];
  });
  keep(checksum);
  r.allocations = g_allocations.load(std::memory_order_relaxed) - allocations;
  r.fingerprint.plausible = std::isfinite(checksum);
  return r;
}

PipelineJob pipeline_job(const std::string& call, const std::string& path, double audio_s, int channels,
                         std::function<RunResult()> once) {
  PipelineJob job;
  PipelineFigures& f = job.figures;
  f.call = call;
  f.path = path;
  f.audio_s = audio_s;
  f.channels = channels;
  f.hops_per_channel = static_cast<std::int64_t>(std::llround(audio_s * kRateHz)) / static_cast<std::int64_t>(kHopSamples);
  job.once = std::move(once);
  return job;
}

void record(PipelineFigures& f, const RunResult& r, bool first) {
  if (first) f.fingerprint = r.fingerprint;
  f.deterministic = f.deterministic && r.fingerprint == f.fingerprint;
  f.max_allocations = std::max(f.max_allocations, r.allocations);
  f.involuntary_switches += r.timing.involuntary_switches;
  f.runs.push_back(r.timing);
}

void run_rounds(std::vector<PipelineJob>& jobs, const Settings& settings) {
  for (PipelineJob& job : jobs) {
    for (int i = 0; i < settings.warmup; ++i) job.figures.fingerprint = job.once().fingerprint;
  }
  for (int round = 0; round < settings.runs; ++round) {
    progress() << "  round " << round + 1 << "/" << settings.runs << "\n";
    for (PipelineJob& job : jobs) record(job.figures, job.once(), round == 0 && settings.warmup == 0);
  }
}

json to_json(const PipelineFigures& f) {
  json runs = json::array();
  for (const Timing& t : f.runs) runs.push_back({{"wall_s", t.wall_s}, {"cpu_s", t.cpu_s}});
  return {{"call", f.call},
          {"path", f.path},
          {"audio_s", f.audio_s},
          {"channels", f.channels},
          {"hops_per_channel", f.hops_per_channel},
          {"call_xrt_wall", to_json(f.call_xrt())},
          {"call_xrt_cpu", to_json(f.call_xrt_cpu())},
          {"channel_xrt_per_core_cpu", to_json(f.channel_xrt_per_core())},
          {"ns_per_channel_hop_cpu", to_json(f.ns_per_channel_hop())},
          {"wall_s", to_json(f.wall())},
          {"cpu_s", to_json(f.cpu())},
          {"runs", runs},
          {"max_allocations_per_run", f.max_allocations},
          {"involuntary_context_switches", f.involuntary_switches},
          {"deterministic", f.deterministic},
          {"fingerprint", to_json(f.fingerprint)}};
}

}  // namespace tw::bench
