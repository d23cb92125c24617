#pragma once
// The agitation model shipped in models/, embedded at build time so the
// tonewatch binary works from anywhere.

#include <string>
#include <string_view>

#include "detect/agitation_model.h"

namespace tw::app {

/// The text of models/agitation-v1.json as it was when the binary was built.
std::string_view embedded_model_json() noexcept;

/// The text of the model at `path`, or of the embedded model when path is empty.
/// Throws std::invalid_argument naming the file.
std::string read_model_text(const std::string& path);
/// How summaries name the model: `path`, or the built-in model's file name.
std::string model_name(const std::string& path);

/// Loads `path`, or the embedded model when path is empty. Throws
/// std::invalid_argument naming the file and the problem.
detect::AgitationModel load_agitation_model(const std::string& path = {});

}  // namespace tw::app
