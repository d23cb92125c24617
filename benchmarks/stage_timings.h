#pragma once
// Every feature stage timed alone over one channel's stored frames, in ns per hop, in
// rounds interleaved with the whole pipeline on the same channel; first each stage alone
// is checked against what the pipeline computed. Apart from tw_bench.cpp because it is
// one job of its own: the harness that feeds each stage exactly what the pipeline does.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "bench_settings.h"
#include "bench_timing.h"
#include "dsp/spectrum_analyzer.h"
#include "features/feature_extractor.h"
#include "pipeline_runs.h"

namespace tw::bench {

/// One channel's frames, analysed once: every stage then reads the same inputs.
struct StageFrames {
  /// Half a frame of zeros, the channel, half a frame of zeros: frame n is
  /// padded[n * hop, n * hop + frame), exactly what FrameAssembler emits.
  std::vector<float> padded;
  std::vector<float> power;                 ///< hops x bins power spectra from SpectrumAnalyzer
  std::vector<features::HopFeatures> hops;  ///< the pipeline's own output, for the stages' side inputs
  std::size_t bins = 0;

  std::size_t count() const { return hops.size(); }
  std::span<const float> channel() const {
    return {padded.data() + kFrameSamples / 2, padded.size() - kFrameSamples};
  }
  dsp::AnalysisFrame frame(std::size_t n) const {
    dsp::AnalysisFrame f;
    f.hop_index = static_cast<std::int64_t>(n);
    f.centre_time_s = dsp::samples_to_seconds(static_cast<std::int64_t>(n * kHopSamples));
    f.samples = {padded.data() + n * kHopSamples, kFrameSamples};
    f.power = {power.data() + n * bins, bins};
    return f;
  }
};

/// The frames, spectra and the pipeline's own features of `channel`; throws
/// std::logic_error if the frames differ from those the pipeline analysed.
StageFrames collect_frames(std::span<const float> channel);

struct StageFigures {
  std::string name, what;
  Spread ns_per_hop;
  double checksum = 0.0;
  double per_call_ns = 0.0;  ///< for gated stages: ns per frame actually analysed (0 = not gated)
};

nlohmann::json to_json(const StageFigures& f);

struct StageReport {
  std::vector<StageFigures> stages;
  std::size_t hops = 0;
  double pitch_analysed_fraction = 0.0;
  /// Hops whose band SNR is below the VAD's voiced_snr_db: there the VAD decision
  /// does not depend on voicing (what the pitch search gate builds on).
  /// pitch_analysed_fraction is the share the pipeline searched.
  double below_voiced_snr_fraction = 0.0;
  /// Hops where a stage run alone disagreed with the pipeline's own output
  /// (0 means the harness feeds each stage exactly what the pipeline does).
  std::int64_t mismatches = 0;
};

/// Times every stage over the stored frames, in rounds interleaved with runs of
/// `pipeline` (the whole CallSession on the same channel), so that the sum of
/// the stages and the pipeline are measured under the same conditions.
StageReport time_stages(const StageFrames& s, PipelineJob& pipeline, const Settings& settings);

}  // namespace tw::bench
