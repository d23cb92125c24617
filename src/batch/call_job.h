#pragma once
// Analysing one recorded call into its output files.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/call_analyzer.h"
#include "app/call_timeline.h"
#include "detect/agitation_model.h"
#include "detect/detection_config.h"
#include "app/channel_layout.h"
#include "app/feature_tables.h"
#include "io/audio_file_source.h"

namespace tw::app {

struct CallJobOptions {
  std::string output_dir = "tonewatch-out";
  TableFormat format = TableFormat::csv;
  bool write_frames = false;
  ChannelLayout layout;
  io::FileSourceOptions source;
  AnalyzerConfig analyzer;
  detect::DetectionConfig detection;
  /// Shared, read-only; must be set and outlive the job.
  const detect::AgitationModel* model = nullptr;
};

/// Where one call's outputs go.
struct CallOutputPaths {
  std::string summary;   ///< <id>.summary.json, written last: its presence marks the call done
  std::string windows;   ///< <id>.windows.csv or .jsonl
  std::string frames;    ///< <id>.frames.csv
  std::string events;    ///< <id>.events.jsonl
  std::string report_json;  ///< <id>.report.json
  std::string report_html;  ///< <id>.report.html
};

CallOutputPaths output_paths(const std::string& output_dir, const std::string& call_id, TableFormat format);

struct CallResult {
  std::string input_path;
  std::string call_id;
  enum class Status { analysed, skipped, failed } status = Status::failed;
  std::string error;            ///< for failed calls: what went wrong, naming the file
  nlohmann::json summary;       ///< the per-call summary (also for skipped calls, read back)
};

/// Progress shared with the display thread.
struct JobProgress {
  std::atomic<std::int64_t> frames_done{0};
};

/// Decodes, resamples to the analysis rate, analyses and writes the outputs of
/// one call. Never throws: failures are returned with their message.
CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress = nullptr);

/// Adds the detection outcome (alerts, escalations, relapses, time to calm) to a summary.
void add_detection_summary(const CallTimeline& timeline, nlohmann::json& summary);

/// The summary JSON of a finished analysis (exposed for the live path and tests).
nlohmann::json make_call_summary(const std::string& input_path, const std::string& call_id,
                                 const io::AudioFormat& input_format, std::int64_t frames_analysed,
                                 const std::vector<SpeakerReport>& reports);

}  // namespace tw::app
