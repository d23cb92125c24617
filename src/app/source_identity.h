#pragma once
// Which sources this tonewatch was built from, for the summary's "analysis" object.

#include <string_view>

namespace tw::app {

/// The first 16 hex digits of a SHA-256 over the names and contents of src/ and
/// models/ as they were at build time (cmake/source_identity.cmake). Two builds of
/// the same version from different sources differ here, so a rerun redoes what the
/// other build made (batch::check_outputs).
std::string_view source_identity() noexcept;

}  // namespace tw::app
