#include "app/call_job.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/run_loop.h"
#include "dsp/stream_spec.h"
#include "io/atomic_file.h"
#include "io/audio_error.h"
#include "io/resampling_source.h"

namespace tw::app {
namespace {

nlohmann::json rounded(double value, int decimals) {
  if (!std::isfinite(value)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// Writes windows (and optionally frames) as the analysis runs.
class BatchSink final : public FeatureSink {
 public:
  BatchSink(std::ostream& windows, TableFormat format, const std::string& call_id, std::ostream* frames)
      : windows_(windows, format, call_id) {
    if (frames != nullptr) frames_.emplace(*frames);
  }
  bool wants_hops() const noexcept override { return frames_.has_value(); }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override { frames_->write(role, hop); }
  void on_window(features::SpeakerRole role, const features::WindowSummary& window) override {
    windows_.write(role, window);
  }

 private:
  WindowTableWriter windows_;
  std::optional<FrameTableWriter> frames_;
};

}  // namespace

CallOutputPaths output_paths(const std::string& output_dir, const std::string& call_id, TableFormat format) {
  const std::filesystem::path base = std::filesystem::path(output_dir) / call_id;
  return {base.string() + ".summary.json",
          base.string() + (format == TableFormat::csv ? ".windows.csv" : ".windows.jsonl"),
          base.string() + ".frames.csv"};
}

nlohmann::json make_call_summary(const std::string& input_path, const std::string& call_id,
                                 const io::AudioFormat& input_format, std::int64_t frames_analysed,
                                 const std::vector<SpeakerReport>& reports) {
  nlohmann::json summary;
  summary["call"] = call_id;
  summary["input"] = {{"path", input_path},
                      {"format", input_format.description},
                      {"sample_rate_hz", input_format.sample_rate_hz},
                      {"channels", input_format.channels}};
  summary["analysis_rate_hz"] = dsp::kAnalysisRateHz;
  summary["duration_s"] = rounded(dsp::samples_to_seconds(frames_analysed), 2);
  nlohmann::json speakers = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  for (const SpeakerReport& r : reports) {
    const features::SpeakerTotals& t = r.totals;
    const std::string role(features::to_string(r.role));
    speakers.push_back({{"role", role},
                        {"channel", r.channel},
                        {"talk_time_s", rounded(t.talk_time_s, 2)},
                        {"speech_time_s", rounded(t.speech_time_s, 2)},
                        {"voiced_time_s", rounded(t.voiced_time_s, 2)},
                        {"syllables", t.syllables},
                        {"articulation_rate_syl_per_s", rounded(t.articulation_rate_syl_per_s, 2)},
                        {"f0_median_hz", rounded(t.f0_median_hz, 1)},
                        {"f0_median_st", rounded(t.f0_median_st, 2)},
                        {"f0_range_st", rounded(t.f0_range_st, 2)},
                        {"loudness_median_db", rounded(t.loudness_median_db, 1)},
                        {"loudness_range_db", rounded(t.loudness_range_db, 1)},
                        {"level_median_dbfs", rounded(t.level_median_dbfs, 1)},
                        {"clipped_samples", r.clipped_samples}});
    if (t.speech_time_s < 1.0) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", t.speech_time_s);
      warnings.push_back("channel " + std::to_string(r.channel) + " (" + role + ") has almost no speech (" + seconds +
                         " s): check the channel layout or the recording");
    }
    if (r.clipped_samples > 0 && frames_analysed > 0 &&
        static_cast<double>(r.clipped_samples) / static_cast<double>(frames_analysed) > 1e-4) {
      warnings.push_back("channel " + std::to_string(r.channel) + " (" + role + ") clips (" +
                         std::to_string(r.clipped_samples) + " samples at full scale): loudness reads low");
    }
  }
  summary["speakers"] = speakers;
  summary["warnings"] = warnings;
  return summary;
}

CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress) {
  CallResult result;
  result.input_path = input_path;
  result.call_id = call_id;
  try {
    io::AudioFileSource file(input_path, options.source);
    io::ResamplingSource source(file, dsp::kAnalysisRateHz);
    CallAnalyzer analyzer(options.analyzer, options.layout.roles_for(file.format().channels));

    std::filesystem::create_directories(options.output_dir);
    const CallOutputPaths paths = output_paths(options.output_dir, call_id, options.format);
    io::AtomicFile windows(paths.windows);
    std::optional<io::AtomicFile> frames;
    if (options.write_frames) frames.emplace(paths.frames);
    BatchSink sink(windows.stream(), options.format, call_id, frames ? &frames->stream() : nullptr);

    std::atomic<std::int64_t> local_progress{0};
    const std::int64_t analysed =
        run(source, analyzer, sink, nullptr, progress != nullptr ? &progress->frames_done : &local_progress);

    result.summary = make_call_summary(input_path, call_id, file.format(), analysed, analyzer.reports());
    windows.commit();
    if (frames) frames->commit();
    // The summary goes last: its presence tells a rerun this call is done.
    io::write_file_atomically(paths.summary, result.summary.dump(2) + "\n");
    result.status = CallResult::Status::analysed;
  } catch (const std::exception& e) {
    result.status = CallResult::Status::failed;
    result.error = e.what();
  }
  return result;
}

}  // namespace tw::app
