#pragma once
// What made a call's outputs (the summary's "analysis" object), for the live
// commands: the same fields and hashes `tonewatch analyze` writes
// (batch::RunFingerprint::summary_json), so live and batch summaries compare.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "detect/detection_config.h"

namespace tw::app {

/// The "analysis" object of a live call's summary: tonewatch_version, model,
/// model_fnv1a64 (of the model's text, as batch hashes it) and settings_fnv1a64 (of
/// {"detection": the thresholds, "source": `source`} — "serve" or "live": a live call's
/// channels come from its protocol or devices, not from analyze's layout flags).
/// Throws std::invalid_argument if the model file cannot be read.
nlohmann::json live_analysis_json(const std::string& model_path, const detect::DetectionConfig& detection,
                                  std::string_view source);

}  // namespace tw::app
