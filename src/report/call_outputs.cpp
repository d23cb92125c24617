#include "report/call_outputs.h"

#include <filesystem>
#include <vector>

#include "report/call_report.h"

namespace tw::report {

// Window rows (and frame rows) as the analyzer produces them.
class CallOutputs::Tables final : public pipeline::FeatureSink {
 public:
  Tables(std::ostream& windows, TableFormat format, const std::string& call_id, std::ostream* frames)
      : windows_(windows, format, call_id) {
    if (frames != nullptr) frames_.emplace(*frames);
  }
  bool wants_hops() const noexcept override { return frames_.has_value(); }
  void on_hop(features::SpeakerRole role, const features::HopFeatures& hop) override {
    if (frames_) frames_->write(role, hop);
  }
  void on_window(features::SpeakerRole role, const features::WindowSummary& window) override {
    windows_.write(role, window);
  }

 private:
  WindowTableWriter windows_;
  std::optional<FrameTableWriter> frames_;
};

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
      windows_file_(created(options.dir, paths_.windows)),
      events_file_(paths_.events),
      event_lines_(events_file_.stream()) {
  if (options.frames) frames_file_.emplace(paths_.frames);
  tables_ = std::make_unique<Tables>(windows_file_.stream(), options.format, call_id,
                                     frames_file_ ? &frames_file_->stream() : nullptr);
}

CallOutputs::~CallOutputs() = default;

pipeline::FeatureSink& CallOutputs::tap() noexcept { return *tables_; }
alerts::EventSink& CallOutputs::events() noexcept { return event_lines_; }

void CallOutputs::commit(const pipeline::CallTimeline& timeline, const nlohmann::json& summary) {
  // Everything that can fail before a file lands is done first (a JSON dump
  // throws on a string that is not UTF-8), so a failed call leaves no outputs.
  const std::string report_json = call_report_json(timeline, summary).dump() + "\n";
  const std::string report_html = call_report_html(timeline, summary);
  const std::string summary_text = summary.dump(2) + "\n";
  std::vector<std::string> landed;
  // An older summary would mark a half-replaced set done.
  std::error_code ignored;
  std::filesystem::remove(paths_.summary, ignored);
  try {
    windows_file_.commit();
    landed.push_back(paths_.windows);
    events_file_.commit();
    landed.push_back(paths_.events);
    if (frames_file_) {
      frames_file_->commit();
      landed.push_back(paths_.frames);
    }
    io::write_file_atomically(paths_.report_json, report_json);
    landed.push_back(paths_.report_json);
    io::write_file_atomically(paths_.report_html, report_html);
    landed.push_back(paths_.report_html);
    // The summary goes last: its presence tells a rerun this call is done.
    io::write_file_atomically(paths_.summary, summary_text);
  } catch (...) {
    for (const std::string& path : landed) std::filesystem::remove(path, ignored);
    throw;
  }
}

}  // namespace tw::report
