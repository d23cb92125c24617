#include "app/call_job.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "alerts/event_sink.h"
#include "app/call_monitor.h"
#include "app/call_report.h"
#include "app/run_loop.h"
#include "dsp/stream_spec.h"
#include "io/atomic_file.h"
#include "io/audio_error.h"
#include "io/resampling_source.h"

namespace tw::app {
namespace {

using alerts::json_number;

// Writes windows (and optionally frames) as the analysis runs, and feeds the monitor.
class BatchSink final : public FeatureSink {
 public:
  BatchSink(std::ostream& windows, TableFormat format, const std::string& call_id, std::ostream* frames,
            CallMonitor& monitor)
      : windows_(windows, format, call_id), monitor_(monitor) {
    if (frames != nullptr) frames_.emplace(*frames);
  }
  bool wants_hops() const noexcept override { return true; }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override {
    if (frames_) frames_->write(role, hop);
    monitor_.on_hop(role, hop);
  }
  void on_window(features::SpeakerRole role, const features::WindowSummary& window) override {
    windows_.write(role, window);
    monitor_.on_window(role, window);
  }

 private:
  WindowTableWriter windows_;
  std::optional<FrameTableWriter> frames_;
  CallMonitor& monitor_;
};

}  // namespace

void add_detection_summary(const CallTimeline& timeline, nlohmann::json& summary) {
  nlohmann::json alerts = nlohmann::json::array();
  // What a reader should see first: alerts and warnings as they opened.
  nlohmann::json highlights = nlohmann::json::array();
  constexpr std::size_t kMaxHighlights = 20;
  std::size_t events = 0;
  for (const alerts::Event& e : timeline.events) {
    ++events;
    if (e.kind == alerts::EventKind::alert) alerts.push_back(e.details.value("reason", e.type));
    const bool notable = e.kind == alerts::EventKind::alert || e.severity != alerts::Severity::info;
    if (notable && e.state != alerts::EventState::closed && highlights.size() < kMaxHighlights) {
      highlights.push_back({{"time_s", json_number(e.time_s, 1)},
                            {"kind", std::string(alerts::to_string(e.kind))},
                            {"severity", std::string(alerts::to_string(e.severity))},
                            {"type", e.kind == alerts::EventKind::alert ? e.details.value("reason", e.type) : e.type},
                            {"message", e.message}});
    }
  }
  double venting_s = 0.0;
  for (const StageSpan& span : timeline.stages) {
    if (span.stage == detect::Stage::venting) venting_s += span.end_s - span.start_s;
  }
  summary["detection"] = {{"events", events},
                          {"alerts", alerts},
                          {"escalations", timeline.escalations},
                          {"relapses", timeline.relapses},
                          {"venting_s", json_number(venting_s, 1)},
                          {"time_to_calm_s", timeline.time_to_calm_s >= 0.0 ? json_number(timeline.time_to_calm_s, 1)
                                                                            : nlohmann::json(nullptr)},
                          {"final_stage", std::string(detect::to_string(timeline.stages.back().stage))},
                          {"highlights", highlights}};
}

CallOutputPaths output_paths(const std::string& output_dir, const std::string& call_id, TableFormat format) {
  const std::filesystem::path base = std::filesystem::path(output_dir) / call_id;
  return {base.string() + ".summary.json",
          base.string() + (format == TableFormat::csv ? ".windows.csv" : ".windows.jsonl"),
          base.string() + ".frames.csv", base.string() + ".events.jsonl", base.string() + ".report.json",
          base.string() + ".report.html"};
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
  summary["duration_s"] = json_number(dsp::samples_to_seconds(frames_analysed), 2);
  nlohmann::json speakers = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  for (const SpeakerReport& r : reports) {
    const features::SpeakerTotals& t = r.totals;
    const std::string role(features::to_string(r.role));
    speakers.push_back({{"role", role},
                        {"channel", r.channel},
                        {"talk_time_s", json_number(t.talk_time_s, 2)},
                        {"speech_time_s", json_number(t.speech_time_s, 2)},
                        {"voiced_time_s", json_number(t.voiced_time_s, 2)},
                        {"syllables", t.syllables},
                        {"articulation_rate_syl_per_s", json_number(t.articulation_rate_syl_per_s, 2)},
                        {"f0_median_hz", json_number(t.f0_median_hz, 1)},
                        {"f0_median_st", json_number(t.f0_median_st, 2)},
                        {"f0_range_st", json_number(t.f0_range_st, 2)},
                        {"loudness_median_db", json_number(t.loudness_median_db, 1)},
                        {"loudness_range_db", json_number(t.loudness_range_db, 1)},
                        {"level_median_dbfs", json_number(t.level_median_dbfs, 1)},
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
    if (options.model == nullptr) throw std::logic_error("analyze_call: no agitation model");
    const std::vector<features::SpeakerRole> roles = options.layout.roles_for(file.format().channels);
    CallAnalyzer analyzer(options.analyzer, roles);

    std::filesystem::create_directories(options.output_dir);
    const CallOutputPaths paths = output_paths(options.output_dir, call_id, options.format);
    io::AtomicFile windows(paths.windows);
    std::optional<io::AtomicFile> frames;
    if (options.write_frames) frames.emplace(paths.frames);
    io::AtomicFile events(paths.events);
    alerts::JsonLinesSink event_lines(events.stream());
    CallMonitor monitor(call_id, options.detection, *options.model, roles, event_lines);
    BatchSink sink(windows.stream(), options.format, call_id, frames ? &frames->stream() : nullptr, monitor);

    std::atomic<std::int64_t> local_progress{0};
    const std::int64_t analysed =
        run(source, analyzer, sink, nullptr, progress != nullptr ? &progress->frames_done : &local_progress);

    monitor.finish(dsp::samples_to_seconds(analysed));
    result.summary = make_call_summary(input_path, call_id, file.format(), analysed, analyzer.reports());
    add_detection_summary(monitor.timeline(), result.summary);
    windows.commit();
    events.commit();
    if (frames) frames->commit();
    io::write_file_atomically(paths.report_json, call_report_json(monitor.timeline(), result.summary).dump() + "\n");
    io::write_file_atomically(paths.report_html, call_report_html(monitor.timeline(), result.summary));
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
