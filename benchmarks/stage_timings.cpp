// The stages in isolation (stage_timings.h): the frames collected once, each stage's
// validation against the pipeline, and the timed passes. Kept apart from tw_bench.cpp,
// which only prints the figures, because the harness is a job of its own.

#include "stage_timings.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include "dsp/frame_assembler.h"
#include "dsp/frame_batch.h"
#include "dsp/real_fft4.h"
#include "features/loudness_meter.h"
#include "features/pitch_tracker.h"
#include "features/speaker_statistics.h"
#include "features/syllable_detector.h"
#include "features/vocal_effort.h"
#include "features/voice_activity_detector.h"
#include "features/window_summary.h"
#include "pipeline/call_analyzer.h"

namespace tw::bench {

using nlohmann::json;

namespace {

template <class OnBlock>
void for_each_block(std::span<const float> signal, OnBlock&& on_block) {
  for (std::size_t offset = 0; offset < signal.size(); offset += kBlockFrames) {
    on_block(signal.subspan(offset, std::min(kBlockFrames, signal.size() - offset)));
  }
}

}  // namespace

StageFrames collect_frames(std::span<const float> channel) {
  StageFrames s;
  s.padded.assign(kFrameSamples / 2, 0.0f);
  s.padded.insert(s.padded.end(), channel.begin(), channel.end());
  s.padded.resize(s.padded.size() + kFrameSamples / 2, 0.0f);
  dsp::FrameAssembler framer(kFrameSamples, kHopSamples);
  dsp::SpectrumAnalyzer analyzer(kFrameSamples, kRateHz);
  s.bins = analyzer.bins();
  s.power.reserve(channel.size() / kHopSamples * s.bins);
  bool frames_match = true;
  for_each_block(channel, [&](std::span<const float> block) {
    framer.push(block, [&](std::span<const float> frame, std::int64_t n) {
      const auto start = s.padded.begin() + n * static_cast<std::ptrdiff_t>(kHopSamples);
      if (!std::equal(frame.begin(), frame.end(), start)) frames_match = false;
      const dsp::AnalysisFrame& a = analyzer.analyze(frame, n, kHopSamples);
      s.power.insert(s.power.end(), a.power.begin(), a.power.end());
    });
  });
  features::FeatureExtractor extractor;
  s.hops.reserve(channel.size() / kHopSamples);
  for_each_block(channel, [&](std::span<const float> block) {
    extractor.process(block, [&](const features::HopFeatures& h) { s.hops.push_back(h); });
  });
  // The hops still waiting for their pitch decision at the end of the channel.
  extractor.flush([&](const features::HopFeatures& h) { s.hops.push_back(h); });
  if (!frames_match || s.power.size() != s.hops.size() * s.bins) {
    throw std::logic_error("stage harness: the collected frames differ from the pipeline's");
  }
  return s;
}

namespace {

/// A stage to time: make_pass() builds fresh state (untimed) and returns the
/// pass, which runs the stage over every hop and returns a checksum of its outputs.
struct StageJob {
  StageFigures figures;
  std::function<std::function<double()>()> make_pass;
  std::vector<double> ns_per_hop;
};

StageJob stage_job(const std::string& name, const std::string& what, std::function<std::function<double()>()> make_pass) {
  StageJob job;
  job.figures.name = name;
  job.figures.what = what;
  job.make_pass = std::move(make_pass);
  return job;
}

/// One timed pass; returns CPU ns per hop.
double run_stage_once(StageJob& job, std::size_t hops) {
  auto pass = job.make_pass();
  double checksum = 0.0;
  const Timing t = time_once([&] { checksum = pass(); });
  keep(checksum);
  job.figures.checksum = checksum;
  return t.cpu_s * 1e9 / static_cast<double>(hops);
}

}  // namespace

json to_json(const StageFigures& f) {
  json j = {{"stage", f.name}, {"what", f.what}, {"ns_per_hop_cpu", to_json(f.ns_per_hop)}, {"checksum", f.checksum}};
  if (f.per_call_ns > 0.0) j["ns_per_analysed_frame"] = f.per_call_ns;
  return j;
}

StageReport time_stages(const StageFrames& s, PipelineJob& pipeline, const Settings& settings) {
  const features::FeatureConfig config;
  const dsp::SpectrumAnalyzer geometry(kFrameSamples, kRateHz);
  const std::size_t hops = s.count();
  StageReport report;
  report.hops = hops;
  std::vector<char> searched(hops, 0);
  // Validation (untimed, first): each stage alone reproduces what the pipeline
  // computed; on the way, which hops the pipeline searched for pitch.
  features::PitchTracker pitch(config.pitch, geometry);
  features::LoudnessMeter meter(geometry);
  features::VocalEffortAnalyzer effort(geometry);
  features::VoiceActivityDetector vad(config.vad, geometry);
  features::SyllableDetector syllables(config.syllable, geometry);
  for (std::size_t n = 0; n < hops; ++n) {
    const features::HopFeatures& h = s.hops[n];
    const dsp::AnalysisFrame frame = s.frame(n);
    const features::LoudnessEstimate l = meter.process(frame);
    const features::VocalEffortEstimate e = effort.process(frame);
    const features::VoiceActivityMeasure m = vad.measure(frame);
    searched[n] = features::pitch_search_wanted(config.vad, m, vad.active(), pitch.last_hop_voiced()) ? 1 : 0;
    const features::PitchOutput p = searched[n] != 0 ? pitch.process(frame) : pitch.skip();
    const bool active = vad.decide(p.voicing);
    const features::SyllableEvent y = syllables.process(frame, p.voicing);
    const bool same = l.level_dbfs == h.level_dbfs && l.loudness_db == h.loudness_db &&
                      e.alpha_ratio_db == h.alpha_ratio_db && e.centroid_hz == h.centroid_hz &&
                      m.band_db == h.voice_band_db && m.noise_floor_db == h.noise_floor_db &&
                      p.voicing == h.voicing && active == h.vad && y.detected == h.syllable;
    report.mismatches += same ? 0 : 1;
    // The pitch of the hop latency_hops() back is decided now.
    if (p.has_estimate) {
      const features::HopFeatures& decided = s.hops[n - pitch.latency_hops()];
      report.mismatches += p.estimate.f0_hz == decided.f0_hz && p.estimate.voiced == decided.voiced ? 0 : 1;
    }
  }
  features::PitchEstimate rest;
  for (std::size_t n = hops - std::min(hops, pitch.latency_hops()); pitch.flush(rest); ++n) {
    report.mismatches += n < hops && rest.f0_hz == s.hops[n].f0_hz && rest.voiced == s.hops[n].voiced ? 0 : 1;
  }
  std::size_t analysed = 0;
  for (std::size_t n = 0; n < hops; ++n) analysed += searched[n] != 0 ? 1 : 0;
  report.pitch_analysed_fraction = static_cast<double>(analysed) / static_cast<double>(hops);
  std::size_t quiet = 0;
  for (const features::HopFeatures& h : s.hops) {
    quiet += h.voice_band_db - h.noise_floor_db < config.vad.voiced_snr_db ? 1 : 0;
  }
  report.below_voiced_snr_fraction = static_cast<double>(quiet) / static_cast<double>(hops);

  std::vector<StageJob> jobs;
  jobs.push_back(stage_job("framing", "dsp::FrameAssembler::push, 160 ms blocks", [&] {
    return [&, framer = std::make_shared<dsp::FrameAssembler>(kFrameSamples, kHopSamples)] {
      double acc = 0.0;
      for_each_block(s.channel(), [&](std::span<const float> block) {
        framer->push(block, [&](std::span<const float> frame, std::int64_t) { acc += frame[kFrameSamples / 2]; });
      });
      return acc;
    };
  }));
  // As the pipeline runs it: frames gathered in a batch, four per transform
  // (dsp::FrameBatch; the stereo pipeline fills each transform with both channels' hops).
  jobs.push_back(stage_job("window + FFT + power", "dsp::FrameBatch (Hann, KissFFT 320 four per call, |X|^2)", [&] {
    return [&, analyzer = std::make_shared<dsp::SpectrumAnalyzer>(kFrameSamples, kRateHz)] {
      double acc = 0.0;
      dsp::FrameBatch& batch = dsp::FrameBatch::this_thread(kFrameSamples);
      for (std::size_t first = 0; first < hops; first += dsp::RealFft4::kLanes) {
        batch.clear();
        for (std::size_t n = first; n < std::min(hops, first + dsp::RealFft4::kLanes); ++n) {
          batch.add(0, {s.padded.data() + n * kHopSamples, kFrameSamples}, static_cast<std::int64_t>(n));
        }
        batch.analyze(*analyzer, kHopSamples);
        for (std::size_t i = 0; i < batch.size(); ++i) acc += batch.frame(i).power[8];
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("pitch", "features::PitchTracker::process, gated as in the pipeline, one inverse transform a hop (the pipeline shares them four ways)", [&] {
    return [&, pitch = std::make_shared<features::PitchTracker>(config.pitch, geometry)] {
      double acc = 0.0;
      for (std::size_t n = 0; n < hops; ++n) {
        const features::PitchOutput p = searched[n] != 0 ? pitch->process(s.frame(n)) : pitch->skip();
        acc += p.voicing + (p.has_estimate ? p.estimate.f0_hz : 0.0f);
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("loudness", "features::LoudnessMeter::process", [&] {
    return [&, meter = std::make_shared<features::LoudnessMeter>(geometry)] {
      double acc = 0.0;
      for (std::size_t n = 0; n < hops; ++n) {
        const features::LoudnessEstimate e = meter->process(s.frame(n));
        acc += e.level_dbfs + e.loudness_db;
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("voice activity", "features::VoiceActivityDetector::measure + decide", [&] {
    return [&, vad = std::make_shared<features::VoiceActivityDetector>(config.vad, geometry)] {
      double acc = 0.0;
      for (std::size_t n = 0; n < hops; ++n) {
        acc += vad->measure(s.frame(n)).noise_floor_db;
        acc += vad->decide(s.hops[n].voicing) ? 1.0 : 0.0;
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("syllables", "features::SyllableDetector::process", [&] {
    return [&, syllables = std::make_shared<features::SyllableDetector>(config.syllable, geometry)] {
      double acc = 0.0;
      for (std::size_t n = 0; n < hops; ++n) {
        const features::SyllableEvent e = syllables->process(s.frame(n), s.hops[n].voicing);
        acc += e.detected ? 1.0 + e.lag_hops : 0.0;
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("vocal effort", "features::VocalEffortAnalyzer::process", [&] {
    return [&, effort = std::make_shared<features::VocalEffortAnalyzer>(geometry)] {
      double acc = 0.0;
      for (std::size_t n = 0; n < hops; ++n) {
        const features::VocalEffortEstimate e = effort->process(s.frame(n));
        acc += e.alpha_ratio_db + 1e-3 * e.centroid_hz;
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("window summary", "features::WindowSummarizer::push (3 s window, summary each second)", [&] {
    return [&, summarizer = std::make_shared<features::WindowSummarizer>(pipeline::AnalyzerConfig{}.summary)] {
      double acc = 0.0;
      for (const features::HopFeatures& h : s.hops) {
        if (summarizer->push(h)) acc += summarizer->summary().speech_s;
      }
      return acc;
    };
  }));
  jobs.push_back(stage_job("call statistics", "features::SpeakerStatistics::add", [&] {
    return [&, statistics = std::make_shared<features::SpeakerStatistics>()] {
      for (const features::HopFeatures& h : s.hops) statistics->add(h);
      return statistics->totals().speech_time_s;
    };
  }));

  for (StageJob& job : jobs) {
    for (int i = 0; i < settings.warmup; ++i) run_stage_once(job, hops);
  }
  for (int i = 0; i < settings.warmup; ++i) pipeline.figures.fingerprint = pipeline.once().fingerprint;
  for (int round = 0; round < settings.runs; ++round) {
    progress() << "  round " << round + 1 << "/" << settings.runs << "\n";
    for (StageJob& job : jobs) job.ns_per_hop.push_back(run_stage_once(job, hops));
    record(pipeline.figures, pipeline.once(), round == 0 && settings.warmup == 0);
  }
  for (StageJob& job : jobs) {
    job.figures.ns_per_hop = spread_of(job.ns_per_hop);
    if (job.figures.name == "pitch" && analysed > 0) {
      job.figures.per_call_ns = job.figures.ns_per_hop.median * static_cast<double>(hops) / static_cast<double>(analysed);
    }
    report.stages.push_back(job.figures);
  }

  return report;
}

}  // namespace tw::bench
