#include "app/analyze_command.h"

#include "app/config_file.h"
#include "app/default_model.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace tw::app {
namespace {

std::string cell(const nlohmann::json& value, const char* format, const char* unit) {
  if (!value.is_number()) return "-";
  char text[48];
  std::snprintf(text, sizeof text, format, value.get<double>());
  return std::string(text) + unit;
}

std::string minutes_seconds(const nlohmann::json& value) {
  if (!value.is_number()) return "-";
  const auto s = static_cast<long>(std::lround(value.get<double>()));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

const char* status_name(batch::CallResult::Status status) {
  switch (status) {
    case batch::CallResult::Status::analysed: return "analysed";
    case batch::CallResult::Status::skipped: return "skipped (done; --force redoes)";
    case batch::CallResult::Status::failed: return "FAILED";
  }
  return "";
}

}  // namespace

CLI::App* AnalyzeCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("analyze", "Analyse recorded calls (WAV, FLAC or raw) into per-call reports");
  cmd->add_option("files", inputs, "Recorded calls: WAV (PCM, float, u-law, A-law), FLAC, or raw with --raw")
      ->required();
  cmd->add_option("--out,-o", options.job.output.dir, "Output directory")->capture_default_str();
  cmd->add_option("--jobs,-j", options.jobs, "Calls analysed in parallel (default: all cores)");
  cmd->add_option("--format", format, "Window table format")->check(CLI::IsMember({"csv", "jsonl"}))->capture_default_str();
  cmd->add_flag("--frames", options.job.output.frames, "Also write per-hop features (<call>.frames.csv)");
  cmd->add_flag("--force", options.force, "Re-analyse calls whose summary already exists");
  cmd->add_flag("--no-progress", no_progress, "No progress line on stderr (it only shows on a terminal anyway)");
  cmd->add_option("--channels", channels,
                  "Roles of a two-channel recording's channels, left first: caller,agent or agent,caller")
      ->capture_default_str();
  cmd->add_option("--mono-role", mono_role, "Role of the speaker in a mono recording")
      ->check(CLI::IsMember({"caller", "agent"}))
      ->capture_default_str();
  cmd->add_option("--config", config_path,
                  "Detection thresholds (JSON; only the keys you change; see 'tonewatch defaults')");
  cmd->add_option("--model", model_path, "Agitation model file (default: the model built in, models/agitation-v1.json)");
  cmd->add_option("--raw", raw_encoding,
                  "Read headerless raw audio with this encoding: s8, u8, s16, s24, s32, f32, f64, ulaw, alaw");
  cmd->add_option("--raw-rate", raw_rate_hz, "Sample rate of raw input, Hz")->capture_default_str();
  cmd->add_option("--raw-channels", raw_channels, "Channels of raw input (1 or 2)")->capture_default_str();
  cmd->add_flag("--raw-big-endian", raw_big_endian, "Raw input is big-endian (default little)");
  return cmd;
}

int AnalyzeCommand::run(std::ostream& out, std::ostream& err) {
  options.show_progress = !no_progress;
  options.job.output.format = format == "jsonl" ? report::TableFormat::jsonl : report::TableFormat::csv;
  options.job.layout.stereo = pipeline::parse_channel_layout(channels);
  options.job.layout.mono = *features::parse_speaker_role(mono_role);
  if (!raw_encoding.empty()) {
    io::RawFormat raw;
    raw.encoding = io::parse_raw_encoding(raw_encoding);
    raw.sample_rate_hz = raw_rate_hz;
    raw.channels = raw_channels;
    raw.big_endian = raw_big_endian;
    options.job.source.raw = raw;
  }
  options.job.session.detection = config_path.empty() ? detect::DetectionConfig{} : load_config_file(config_path);
  const detect::AgitationModel model = load_agitation_model(model_path);
  options.job.model = &model;
  const std::vector<batch::CallResult> results = batch::run_batch(inputs, options);
  print_summary_table(results, out);

  // Channel conditions change what the analysis can say: on stderr too, so a batch
  // run's log shows them.
  for (const batch::CallResult& r : results) {
    if (r.status != batch::CallResult::Status::analysed || !r.summary.contains("channels")) continue;
    for (const nlohmann::json& warning : r.summary.value("warnings", nlohmann::json::array())) {
      const std::string text = warning.get<std::string>();
      if (text.find("channels") != std::string::npos) err << "warning: " << r.call_id << ": " << text << "\n";
    }
  }
  std::size_t failures = 0;
  for (const batch::CallResult& r : results) failures += r.status == batch::CallResult::Status::failed ? 1 : 0;
  if (failures > 0) {
    err << "\n" << failures << " of " << results.size() << " call(s) failed:\n";
    for (const batch::CallResult& r : results) {
      if (r.status == batch::CallResult::Status::failed) err << "  " << r.error << "\n";
    }
  }
  out << "\nOutputs in " << options.job.output.dir
      << "/ (<call>.report.html to read, <call>.summary.json, <call>.events.jsonl, <call>.report.json, <call>.windows."
      << (options.job.output.format == report::TableFormat::csv ? "csv" : "jsonl") << (options.job.output.frames ? ", <call>.frames.csv" : "")
      << ")\n";
  return failures > 0 ? 1 : 0;
}

void print_summary_table(const std::vector<batch::CallResult>& results, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-9s %-8s %-7s %8s %8s %9s %9s %10s %11s\n", "call", "status", "duration",
                "speaker", "speech", "talk", "F0 median", "F0 range", "loudness", "artic. rate");
  out << line;
  for (const batch::CallResult& r : results) {
    const nlohmann::json& s = r.summary;
    const std::string status = r.status == batch::CallResult::Status::failed ? "FAILED" : status_name(r.status);
    const bool has_speakers = s.is_object() && s.contains("speakers") && !s["speakers"].empty();
    if (!has_speakers) {
      std::snprintf(line, sizeof line, "%-24s %s\n", r.call_id.c_str(), status.c_str());
      out << line;
      continue;
    }
    bool first = true;
    for (const nlohmann::json& speaker : s["speakers"]) {
      std::snprintf(line, sizeof line, "%-24s %-9s %-8s %-7s %8s %8s %9s %9s %10s %11s\n",
                    first ? r.call_id.c_str() : "", first ? status.substr(0, 9).c_str() : "",
                    first ? minutes_seconds(s.value("duration_s", nlohmann::json())).c_str() : "",
                    speaker.value("role", "").c_str(),
                    cell(speaker.value("speech_time_s", nlohmann::json()), "%.1f", " s").c_str(),
                    cell(speaker.value("talk_time_s", nlohmann::json()), "%.1f", " s").c_str(),
                    cell(speaker.value("f0_median_hz", nlohmann::json()), "%.0f", " Hz").c_str(),
                    cell(speaker.value("f0_range_st", nlohmann::json()), "%.1f", " st").c_str(),
                    cell(speaker.value("loudness_median_db", nlohmann::json()), "%.1f", " dB").c_str(),
                    cell(speaker.value("articulation_rate_syl_per_s", nlohmann::json()), "%.1f", " syl/s").c_str());
      out << line;
      first = false;
    }
    if (s.contains("detection")) {
      const nlohmann::json& d = s["detection"];
      std::string detection = "    detection: final stage " + d.value("final_stage", std::string("?"));
      const nlohmann::json alerts = d.value("alerts", nlohmann::json::array());
      detection += ", " + std::to_string(alerts.size()) + " supervisor alert(s)";
      if (!alerts.empty()) {
        detection += " (";
        for (std::size_t i = 0; i < alerts.size(); ++i) detection += (i ? ", " : "") + alerts[i].get<std::string>();
        detection += ")";
      }
      if (d.value("escalations", 0) > 0) {
        detection += ", " + std::to_string(d.value("escalations", 0)) + " escalation(s), " +
                std::to_string(d.value("relapses", 0)) + " relapse(s)";
      }
      if (d.contains("venting_s") && d["venting_s"].is_number() && d["venting_s"].get<double>() > 0.0) {
        detection += ", vented " + cell(d["venting_s"], "%.0f", " s");
      }
      if (d.contains("time_to_calm_s") && d["time_to_calm_s"].is_number()) {
        detection += ", calm again after " + cell(d["time_to_calm_s"], "%.0f", " s");
      }
      out << detection << "\n";
      for (const nlohmann::json& h : d.value("highlights", nlohmann::json::array())) {
        const double t = h.value("time_s", 0.0);
        char when[32];
        std::snprintf(when, sizeof when, "%ld:%04.1f", static_cast<long>(t) / 60, std::fmod(t, 60.0));
        out << "      " << when << "  " << (h.value("kind", "") == "alert" ? "ALERT " : "")
            << h.value("type", std::string()) << ": " << h.value("message", std::string()) << "\n";
      }
    }
    if (s.contains("warnings")) {
      for (const nlohmann::json& warning : s["warnings"]) out << "    warning: " << warning.get<std::string>() << "\n";
    }
  }
}

}  // namespace tw::app
