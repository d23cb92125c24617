#pragma once
// One call's output files, written as the call is analysed: the window table (and
// the frame table) and the events stream as they come, the reports and the summary
// at the end. Every file appears whole or not at all; the summary is written last,
// so its presence marks the call done. Batch, the server and live capture write
// exactly these files.

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "io/atomic_file.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_timeline.h"
#include "report/feature_tables.h"

namespace tw::report {

struct OutputOptions {
  std::string dir = "tonewatch-out";
  TableFormat format = TableFormat::csv;
  bool frames = false;  ///< also <id>.frames.csv, the per-hop features
  std::size_t stream_buffer_bytes = 0;  ///< > 0: buffer of each file written during the call (0: 8 KiB)
};

/// Where one call's outputs go.
struct CallOutputPaths {
  std::string summary;      ///< <id>.summary.json, written last: its presence marks the call done
  std::string windows;      ///< <id>.windows.csv or .jsonl
  std::string frames;       ///< <id>.frames.csv
  std::string events;       ///< <id>.events.jsonl
  std::string report_json;  ///< <id>.report.json
  std::string report_html;  ///< <id>.report.html
};

CallOutputPaths output_paths(const std::string& output_dir, const std::string& call_id, TableFormat format);

/// The files of one call in the making. Destroyed without commit(), it leaves nothing.
class CallOutputs {
 public:
  /// Creates the folder and opens the temporaries. Throws std::runtime_error naming the path.
  CallOutputs(const OutputOptions& options, const std::string& call_id);
  ~CallOutputs();
  CallOutputs(const CallOutputs&) = delete;
  CallOutputs& operator=(const CallOutputs&) = delete;

  /// The tap for CallSession::add_tap: window rows (and frame rows).
  pipeline::FeatureSink& tap() noexcept;
  /// Where the call's events go, one JSON line each.
  alerts::EventSink& events() noexcept;
  const CallOutputPaths& paths() const noexcept { return paths_; }

  /// Writes the reports from the finished timeline and `summary` (see call_summary.h),
  /// commits the streamed files, and writes the summary last.
  void commit(const pipeline::CallTimeline& timeline, const nlohmann::json& summary);

 private:
  CallOutputPaths paths_;
  io::AtomicFile windows_file_;
  std::optional<io::AtomicFile> frames_file_;
  io::AtomicFile events_file_;
  alerts::JsonLinesSink event_lines_;
  std::unique_ptr<FeatureTablesTap> tables_;
};

/// A call's tables as text, for a call analysed in memory.
struct FinishedTables {
  std::string windows_csv;
  std::string events_jsonl;
  std::optional<std::string> frames_csv;  ///< when the frame table was kept
};

/// Writes the files of a call analysed in memory, exactly as a CallOutputs that
/// streamed the same tables would leave them: <id>.windows.csv, .events.jsonl,
/// .frames.csv (when kept), the reports, and the summary last; each file whole
/// or not at all. Creates `dir`. Throws std::runtime_error naming a path.
void write_call_outputs(const std::string& dir, const std::string& call_id, const FinishedTables& tables,
                        const pipeline::CallTimeline& timeline, const nlohmann::json& summary);

}  // namespace tw::report
