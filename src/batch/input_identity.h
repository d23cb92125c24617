#pragma once
// What tells a rerun that an input is the one analysed before.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tw::batch {

/// An input as the file system describes it. Regular files are identified by
/// absolute path, size and modification time (nanoseconds), the test `make` and
/// rsync rely on; other inputs (a FIFO, a device) cannot be, and are always
/// analysed again.
struct InputIdentity {
  std::string path;             ///< absolute, lexically normal (absolute_path)
  bool exists = false;          ///< stat(2) succeeded
  bool regular = false;         ///< a regular file
  std::int64_t size_bytes = -1;
  std::int64_t modified_ns = -1;  ///< st_mtim, nanoseconds since 1970-01-01 UTC
  std::uint64_t device = 0;     ///< st_dev and st_ino: the same file under two names
  std::uint64_t inode = 0;
};

/// Looks `path` up (following symbolic links). Never throws: a missing file has exists == false.
InputIdentity identify_input(const std::string& path);

/// The identity's keys for the summary's "input" object: path (and
/// path_bytes_hex), size_bytes, modified_ns and modified_utc (ISO 8601), or
/// only the path for an input that is not a regular file.
nlohmann::json identity_json(const InputIdentity& identity);

/// True when a summary's "input" object describes this very input: a regular
/// file with the same path, size and modification time.
bool same_input(const nlohmann::json& summary_input, const InputIdentity& identity);

}  // namespace tw::batch
