#pragma once
// What a call keeps of the metadata its platform sent (generic stream keys,
// Twilio customParameters, AudioHook participant and customConfig): copied into
// the summary, the report, the API and the dashboard feed, so it is kept within
// fixed limits whatever arrives. A value past a limit is cut (a string
// shortened, a member or element left out, a too-deep value replaced by null)
// and counted; the call goes on. Before issue 22 a 60 KB metadata message nested
// 30,000 deep wrote a 1.8 GB summary.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace tw::server {

/// The limits on one call's metadata. Sizes are of the compact JSON text.
struct MetadataLimits {
  std::size_t max_bytes = 4096;        ///< the whole metadata object of a call, every leg's together
  std::size_t max_entries = 64;        ///< members and array elements, at every level together
  std::size_t max_string_bytes = 256;  ///< longer string values are shortened (at a UTF-8 boundary); longer keys are left out
  int max_depth = 4;                   ///< the metadata object is depth 1; arrays or objects deeper become null
};

/// A call's metadata object, grown leg by leg within MetadataLimits. Not
/// thread-safe (the call holds it under its lock). Not for per-packet use.
class CallMetadata {
 public:
  /// Throws std::invalid_argument if a limit is zero (or max_bytes below 64).
  explicit CallMetadata(const MetadataLimits& limits);

  /// Adds the members of `metadata` (an object; anything else is ignored) whose
  /// keys are not there yet. tonewatch's own keys (platform_call_id, stream_id,
  /// remote) go first, so a platform's bulk never crowds them out. Returns how
  /// many values were cut or left out.
  std::size_t merge(const nlohmann::json& metadata);

  /// Sets the members of `metadata` (an object; anything else is ignored), replacing
  /// those already there (a SIPREC metadata update renaming a participant), and keeps
  /// the rest; the whole is bounded again as merge() bounds it. Returns how many values
  /// were cut or left out by this update.
  std::size_t update(const nlohmann::json& metadata);

  /// The metadata kept: an object whose compact dump is at most max_bytes.
  const nlohmann::json& value() const noexcept { return value_; }
  /// Values cut or left out so far, every merge together.
  std::size_t cut() const noexcept { return cut_; }
  /// Bytes of the compact JSON text of value() (an upper bound, exact for ASCII).
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  bool add_member(const std::string& key, const nlohmann::json& value);
  // The bounded copy of `v` at `depth` if it fits in `budget` bytes (which it then lessens).
  bool bounded(const nlohmann::json& v, int depth, std::size_t& budget, nlohmann::json& out);

  MetadataLimits limits_;
  nlohmann::json value_ = nlohmann::json::object();
  std::size_t bytes_ = 2;  // "{}"
  std::size_t entries_ = 0;
  std::size_t cut_ = 0;
};

/// The size of `text` as a JSON string literal: quotes and escapes included.
std::size_t json_string_bytes(const std::string& text) noexcept;

}  // namespace tw::server
