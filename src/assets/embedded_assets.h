#pragma once
// The files in assets/ (the call report's CSS and chart script, the dashboard's
// pages, styles and scripts), compiled into the program at build time: the report
// inlines them so it opens offline, and the server serves them, so nothing is
// installed or fetched beside the binary.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tw::assets {

/// An asset's content by its file name in assets/ ("report.css", "charts.js"),
/// or an empty view if there is none of that name. The bytes live for the
/// program's lifetime. Thread-safe.
std::string_view find(std::string_view name) noexcept;

/// Like find(), but throws std::logic_error naming the asset when it is missing
/// (a build that left it out).
std::string_view get(std::string_view name);

/// Every asset's name, in the order they were embedded.
std::vector<std::string_view> names();

/// A short hex digest of every asset's bytes (FNV-1a 64): changes whenever any
/// asset does, for HTTP validators (ETag).
const std::string& version();

namespace detail {
struct EmbeddedFile {
  const char* name;
  const unsigned char* data;
  std::size_t size;
};
extern const EmbeddedFile kFiles[];
extern const std::size_t kFileCount;
}  // namespace detail

}  // namespace tw::assets
