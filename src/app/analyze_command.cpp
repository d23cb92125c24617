#include "app/analyze_command.h"

#include "app/stop_signals.h"
#include "batch/input_folders.h"
#include "batch/output_folder.h"
#include "io/path_text.h"

#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
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

std::string status_name(batch::CallResult::Status status) {
  return status == batch::CallResult::Status::failed ? "FAILED" : batch::to_string(status);
}

// A CLI11 check from a parser that throws std::invalid_argument: its message
// becomes CLI11's, which names the flag ("--channels: ...").
template <class Parse>
CLI::Validator parsed_by(Parse parse, const std::string& description) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        try {
          parse(value);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      description);
}

std::string count_of(std::size_t n, const char* what) { return std::to_string(n) + " " + what; }

}  // namespace

CLI::App* AnalyzeCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("analyze", "Analyse recorded calls (WAV, FLAC or raw) into per-call reports");
  cmd->add_option("files", inputs,
                  "Recorded calls: WAV (PCM, float, u-law, A-law), FLAC, or raw with --raw; a folder stands for the "
                  ".wav, .flac and .au files below it (with --raw, every file)")
      ->required();
  cmd->add_option("--out,-o", options.job.output.dir,
                  "Output folder (one run at a time; a rerun skips calls done with the same input and settings)")
      ->capture_default_str();
  cmd->add_option("--root", root,
                  "Call ids are the inputs' paths below this folder (default: file names, with folders where names repeat)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--jobs,-j", options.jobs, "Calls analysed in parallel (default: all cores)");
  cmd->add_option("--format", format, "Window table format")->check(CLI::IsMember({"csv", "jsonl"}))->capture_default_str();
  cmd->add_flag("--frames", options.job.output.frames, "Also write per-hop features (<call>.frames.csv)");
  cmd->add_flag("--force", options.force, "Re-analyse calls that are done");
  cmd->add_flag("--no-progress", no_progress, "No progress line on stderr (it only shows on a terminal anyway)");
  cmd->add_option("--channels", choices.channels,
                  "Roles of a two-channel recording's channels, left first: caller,agent or agent,caller")
      ->check(parsed_by([](const std::string& v) { pipeline::parse_channel_layout(v); }, "LAYOUT"))
      ->capture_default_str();
  cmd->add_option("--mono-role", choices.mono_role, "Role of the speaker in a mono recording")
      ->check(CLI::IsMember({"caller", "agent"}))
      ->capture_default_str();
  cmd->add_option("--config", choices.config_path,
                  "Detection thresholds (JSON; only the keys you change; see 'tonewatch defaults')");
  cmd->add_option("--model", choices.model_path, "Agitation model file (default: the model built in, models/agitation-v1.json)");
  CLI::Option* raw = cmd->add_option(
      "--raw", choices.raw_encoding, "Read headerless raw audio with this encoding: s8, u8, s16, s24, s32, f32, f64, ulaw, alaw");
  raw->check(parsed_by([](const std::string& v) { io::parse_raw_encoding(v); }, "ENCODING"));
  cmd->add_option("--raw-rate", choices.raw_rate_hz, "Sample rate of raw input, Hz (8000-48000)")
      ->check(CLI::Range(8000, 48000))
      ->needs(raw)
      ->capture_default_str();
  cmd->add_option("--raw-channels", choices.raw_channels, "Channels of raw input (1 or 2)")
      ->check(CLI::Range(1, 2))
      ->needs(raw)
      ->capture_default_str();
  cmd->add_flag("--raw-big-endian", choices.raw_big_endian, "Raw input is big-endian (default little)")->needs(raw);
  return cmd;
}

int AnalyzeCommand::run(std::ostream& out, std::ostream& err, const std::vector<std::string>& command_line) {
  options.show_progress = !no_progress;
  options.root = root;
  options.command_line = command_line;
  options.job.output.format = format == "jsonl" ? report::TableFormat::jsonl : report::TableFormat::csv;
  // Configuration errors name the flag and the file; nothing is analysed.
  AnalysisSetup setup;
  try {
    setup = make_analysis_setup(choices);
  } catch (const AnalysisChoiceError& e) {
    err << "tonewatch: " << e.option() << " " << e.what() << "\n";
    return kExitUsage;
  }
  const report::OutputOptions output = options.job.output;
  options.job = setup.job;
  options.job.output = output;

  StopSignals signals;
  options.stop = &signals.flag();
  batch::BatchOutcome outcome;
  try {
    // An archive too large for the command line (the kernel's limit on arguments)
    // is given as its folder.
    outcome = batch::run_batch(batch::expand_input_folders(inputs, !choices.raw_encoding.empty()), options);
  } catch (const batch::OutputFolderError& e) {
    err << "tonewatch: --out " << e.what()
        << (e.holder() != 0 ? "; wait for that run to end, or choose another --out" : "") << "\n";
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    err << "tonewatch: " << e.what() << "\n";
    return kExitUsage;
  }
  const std::vector<batch::CallResult>& results = outcome.results;
  for (const std::string& path : outcome.removed_temporaries) {
    err << "tonewatch: removed " << io::escape_invalid_utf8(path) << ", left by a run that was killed\n";
  }
  print_summary_table(results, out);
  for (const std::string& warning : outcome.warnings) err << "tonewatch: warning: " << warning << "\n";

  std::map<batch::CallResult::Status, std::size_t> counts;
  for (const batch::CallResult& r : results) ++counts[r.status];
  const std::size_t failures = counts[batch::CallResult::Status::failed];
  if (counts[batch::CallResult::Status::skipped] > 0) {
    out << "\n" << counts[batch::CallResult::Status::skipped]
        << " call(s) skipped: done before from the same input with the same tonewatch, model and settings (--force redoes them)\n";
  }
  if (failures > 0) {
    err << "\n" << failures << " of " << results.size() << " call(s) failed:\n";
    for (const batch::CallResult& r : results) {
      if (r.status == batch::CallResult::Status::failed) err << "  " << r.error << "\n";
    }
  }
  // Name the per-call files only when some call has them (analysed now or before):
  // after a run where every input failed, the folder holds only the manifest.
  const bool any_outputs = counts[batch::CallResult::Status::analysed] + counts[batch::CallResult::Status::skipped] > 0;
  if (any_outputs) {
    out << "\nOutputs in " << io::escape_invalid_utf8(options.job.output.dir)
        << "/ (<call>.report.html to read, <call>.summary.json, <call>.events.jsonl, <call>.report.json, <call>.windows."
        << (options.job.output.format == report::TableFormat::csv ? "csv" : "jsonl")
        << (options.job.output.frames ? ", <call>.frames.csv" : "") << "; the runs in " << batch::kManifestFileName
        << ")\n";
  } else {
    out << "\nNo call outputs written; the run is recorded in " << io::escape_invalid_utf8(options.job.output.dir) << "/"
        << batch::kManifestFileName << "\n";
  }
  if (outcome.interrupted) {
    const int signal_number = signals.signal_number();
    err << "\ntonewatch: stopped by " << signal_name(signal_number) << ": "
        << count_of(counts[batch::CallResult::Status::analysed], "analysed") << ", "
        << count_of(counts[batch::CallResult::Status::skipped], "done before") << ", "
        << count_of(counts[batch::CallResult::Status::failed], "failed") << ", "
        << count_of(counts[batch::CallResult::Status::interrupted], "abandoned (no outputs written)") << ", "
        << count_of(counts[batch::CallResult::Status::not_started], "not started")
        << ". Run the same command again to finish.\n";
    return 128 + signal_number;
  }
  return failures > 0 ? kExitCallsFailed : kExitOk;
}

void print_summary_table(const std::vector<batch::CallResult>& results, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-9s %-8s %-7s %8s %8s %9s %9s %10s %11s\n", "call", "status", "duration",
                "speaker", "speech", "talk", "F0 median", "F0 range", "loudness", "artic. rate");
  out << line;
  for (const batch::CallResult& r : results) {
    const nlohmann::json& s = r.summary;
    const std::string status = status_name(r.status);
    const bool has_speakers = s.is_object() && s.contains("speakers") && !s["speakers"].empty();
    std::string note;
    if (!r.note.empty() && r.status == batch::CallResult::Status::duplicate) note = "    " + r.note + "\n";
    if (!r.note.empty() && r.status == batch::CallResult::Status::analysed) note = "    analysed again: " + r.note + "\n";
    if (!has_speakers) {
      out << std::string(r.call_id.empty() ? "-" : r.call_id) << std::string(r.call_id.size() < 24 ? 25 - r.call_id.size() : 1, ' ')
          << status << "\n" << note;
      continue;
    }
    bool first = true;
    for (const nlohmann::json& speaker : s["speakers"]) {
      // The id may be longer than its column: it keeps its line, the figures go on the next.
      if (first && r.call_id.size() > 24) out << r.call_id << "\n";
      std::snprintf(line, sizeof line, "%-24s %-9s %-8s %-7s %8s %8s %9s %9s %10s %11s\n",
                    first && r.call_id.size() <= 24 ? r.call_id.c_str() : "", first ? status.substr(0, 9).c_str() : "",
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
    out << note;
  }
}

}  // namespace tw::app
