#pragma once
// The detection config file: JSON, every threshold with its unit in its name.
// `tonewatch defaults` prints the defaults; a file needs only the keys it changes.

#include <string>

#include <nlohmann/json.hpp>

#include "detect/detection_config.h"

namespace tw::app {

/// The configuration as JSON (all keys, current values).
nlohmann::json config_to_json(const detect::DetectionConfig& config);

/// Applies the keys present in `json` over `config`. Unknown sections or keys and
/// values of the wrong type are errors (std::invalid_argument naming the key), so
/// a typo never silently leaves a default in place. The result is validated by
/// constructing the detectors' configs.
void apply_config_json(const nlohmann::json& json, detect::DetectionConfig& config);

/// Reads a config file over the defaults. Throws std::invalid_argument naming the
/// file and the problem.
detect::DetectionConfig load_config_file(const std::string& path);

}  // namespace tw::app
