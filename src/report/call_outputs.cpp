#include "report/call_outputs.h"

#include <filesystem>
#include <vector>

#include "report/call_report.h"

namespace tw::report {

CallOutputPaths output_paths(const std::string& output_dir, const std::string& call_id, TableFormat format) {
  const std::filesystem::path base = std::filesystem::path(output_dir) / call_id;
  return {base.string() + ".summary.json",
          base.string() + (format == TableFormat::csv ? ".windows.csv" : ".windows.jsonl"),
          base.string() + ".frames.csv", base.string() + ".events.jsonl", base.string() + ".report.json",
          base.string() + ".report.html"};
}

namespace {
const std::string& created(const std::string& dir, const std::string& path) {
  std::filesystem::create_directories(dir);
  return path;
}
}  // namespace

CallOutputs::CallOutputs(const OutputOptions& options, const std::string& call_id)
    : paths_(output_paths(options.dir, call_id, options.format)),
      windows_file_(created(options.dir, paths_.windows), options.stream_buffer_bytes),
      events_file_(paths_.events, options.stream_buffer_bytes),
      event_lines_(events_file_.stream()) {
  if (options.frames) frames_file_.emplace(paths_.frames);
  tables_ = std::make_unique<FeatureTablesTap>(windows_file_.stream(), options.format, call_id,
                                               frames_file_ ? &frames_file_->stream() : nullptr);
}

CallOutputs::~CallOutputs() = default;

pipeline::FeatureSink& CallOutputs::tap() noexcept { return *tables_; }
alerts::EventSink& CallOutputs::events() noexcept { return event_lines_; }

namespace {

// The files made from the finished call. Everything that can fail before a file
// lands is done first (a JSON dump throws on a string that is not UTF-8), so a
// failed call leaves no outputs.
struct ReportTexts {
  std::string report_json, report_html, summary;
};

ReportTexts make_report_texts(const pipeline::CallTimeline& timeline, const nlohmann::json& summary) {
  return {call_report_json(timeline, summary).dump() + "\n", call_report_html(timeline, summary),
          summary.dump(2) + "\n"};
}

void remove_all(const std::vector<std::string>& paths) {
  std::error_code ignored;
  for (const std::string& path : paths) std::filesystem::remove(path, ignored);
}

// Lands one file with `write` and adds it to `landed`; if that fails, every file
// landed before it goes again, so a failed call leaves no outputs.
template <class Write>
void land(std::vector<std::string>& landed, const std::string& path, Write&& write) {
  try {
    write();
  } catch (...) {
    remove_all(landed);
    throw;
  }
  landed.push_back(path);
}

// After the tables in `landed`: the reports, then the summary last (its presence
// tells a rerun this call is done).
void land_reports(const CallOutputPaths& paths, const ReportTexts& texts, std::vector<std::string>& landed) {
  land(landed, paths.report_json, [&] { io::write_file_atomically(paths.report_json, texts.report_json); });
  land(landed, paths.report_html, [&] { io::write_file_atomically(paths.report_html, texts.report_html); });
  land(landed, paths.summary, [&] { io::write_file_atomically(paths.summary, texts.summary); });
}

// An older summary would mark a half-replaced set done.
void remove_summary(const CallOutputPaths& paths) {
  std::error_code ignored;
  std::filesystem::remove(paths.summary, ignored);
}

}  // namespace

void CallOutputs::commit(const pipeline::CallTimeline& timeline, const nlohmann::json& summary) {
  const ReportTexts texts = make_report_texts(timeline, summary);
  remove_summary(paths_);
  std::vector<std::string> landed;
  land(landed, paths_.windows, [&] { windows_file_.commit(); });
  land(landed, paths_.events, [&] { events_file_.commit(); });
  if (frames_file_) land(landed, paths_.frames, [&] { frames_file_->commit(); });
  land_reports(paths_, texts, landed);
}

void write_call_outputs(const std::string& dir, const std::string& call_id, const FinishedTables& tables,
                        const pipeline::CallTimeline& timeline, const nlohmann::json& summary) {
  std::filesystem::create_directories(dir);
  const CallOutputPaths paths = output_paths(dir, call_id, TableFormat::csv);
  const ReportTexts texts = make_report_texts(timeline, summary);
  remove_summary(paths);
  std::vector<std::string> landed;
  land(landed, paths.windows, [&] { io::write_file_atomically(paths.windows, tables.windows_csv); });
  land(landed, paths.events, [&] { io::write_file_atomically(paths.events, tables.events_jsonl); });
  if (tables.frames_csv) {
    land(landed, paths.frames, [&] { io::write_file_atomically(paths.frames, *tables.frames_csv); });
  }
  land_reports(paths, texts, landed);
}

}  // namespace tw::report
