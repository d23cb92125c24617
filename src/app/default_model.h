#pragma once
// The agitation model shipped in models/, embedded at build time so the
// tonewatch binary works from anywhere.

#include <string>
#include <string_view>

#include "detect/agitation_model.h"

namespace tw::app {

/// The text of models/agitation-v1.json as it was when the binary was built.
std::string_view embedded_model_json() noexcept;

/// Loads `path`, or the embedded model when path is empty. Throws
/// std::invalid_argument naming the file and the problem.
detect::AgitationModel load_agitation_model(const std::string& path = {});

}  // namespace tw::app
