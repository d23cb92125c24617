#include "batch/resume.h"

#include <filesystem>
#include <fstream>

#include "batch/fingerprint.h"
#include "io/path_text.h"
#include "report/call_summary.h"

namespace tw::batch {

std::string RunFingerprint::model_hash() const { return fnv1a64_hex(model_text); }
std::string RunFingerprint::settings_hash() const { return fnv1a64_hex(settings.dump()); }

nlohmann::json RunFingerprint::summary_json() const {
  return {{"tonewatch_version", tonewatch_version},
          {"tonewatch_sources", tonewatch_sources},
          {"model", io::escape_invalid_utf8(model)},
          {"model_fnv1a64", model_hash()},
          {"settings_fnv1a64", settings_hash()}};
}

ResumeCheck check_outputs(const report::CallOutputPaths& paths, bool frames, const InputIdentity& input,
                          const RunFingerprint& run) {
  ResumeCheck check;
  std::error_code ec;
  if (!std::filesystem::exists(paths.summary, ec)) return check;
  nlohmann::json summary;
  try {
    std::ifstream in(paths.summary, std::ios::binary);
    summary = nlohmann::json::parse(in);
  } catch (const std::exception&) {
    check.reason = "its summary was not valid JSON (cut short or damaged)";
    return check;
  }
  if (!summary.is_object() || !summary.contains("input") || !summary["input"].is_object()) {
    check.reason = "its summary had no input";
    return check;
  }
  try {
    const std::string path = report::input_path_from_json(summary["input"]);
    if (path != input.path) {
      check.other_input = true;
      check.reason = "the outputs under this name are of " + io::escape_invalid_utf8(path);
      return check;
    }
  } catch (const std::exception&) {
    check.reason = "its summary had no input path";
    return check;
  }
  if (!input.regular) {
    check.reason = "the input is not a regular file, so it cannot be recognised again";
    return check;
  }
  if (!same_input(summary["input"], input)) {
    check.reason = "the input changed (size or modification time)";
    return check;
  }
  const nlohmann::json analysis = summary.value("analysis", nlohmann::json());
  const auto field = [&](const char* key) {
    return analysis.is_object() && analysis.contains(key) && analysis[key].is_string() ? analysis[key].get<std::string>()
                                                                                       : std::string();
  };
  if (field("tonewatch_version") != run.tonewatch_version) {
    const std::string version = field("tonewatch_version");
    check.reason = "it was made by " + (version.empty() ? std::string("an older tonewatch") : "tonewatch " + version);
    return check;
  }
  if (field("tonewatch_sources") != run.tonewatch_sources) {
    const std::string sources = field("tonewatch_sources");
    check.reason = "it was made by another build of tonewatch " + run.tonewatch_version + " (sources " +
                   (sources.empty() ? std::string("not recorded") : sources) + ", these " + run.tonewatch_sources + ")";
    return check;
  }
  if (field("model_fnv1a64") != run.model_hash()) {
    check.reason = "it was made with another model";
    return check;
  }
  if (field("settings_fnv1a64") != run.settings_hash()) {
    check.reason = "it was made with other settings (thresholds, channel layout or raw format)";
    return check;
  }
  for (const std::string* path : {&paths.windows, &paths.events, &paths.report_json, &paths.report_html}) {
    if (!std::filesystem::exists(*path, ec)) {
      check.reason = "an output file was missing (" + io::escape_invalid_utf8(*path) + ")";
      return check;
    }
  }
  if (frames && !std::filesystem::exists(paths.frames, ec)) {
    check.reason = "its frame table was missing";
    return check;
  }
  check.done = true;
  check.summary = std::move(summary);
  return check;
}

}  // namespace tw::batch
