#pragma once
// Output files that appear whole or not at all.

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace tw::io {

/// A text file written under a temporary name and renamed into place by
/// commit(), so an interrupted run never leaves a half-written file. Destroying
/// an uncommitted AtomicFile deletes the temporary.
class AtomicFile {
 public:
  /// Opens the temporary next to `path`. `buffer_bytes` > 0 sets the stream's
  /// buffer (default: the library's 8 KiB; a live server holding two files per
  /// call for a thousand calls gives them less). Throws std::runtime_error naming the path.
  explicit AtomicFile(std::string path, std::size_t buffer_bytes = 0);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() noexcept { return stream_; }
  const std::string& path() const noexcept { return path_; }
  /// Flushes, closes and renames into place. Throws std::runtime_error on a write error.
  void commit();

 private:
  std::string path_;
  std::string temporary_path_;
  std::unique_ptr<char[]> buffer_;  // before stream_: it must outlive the stream
  std::ofstream stream_;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& content);

/// Removes the temporaries AtomicFile writers left in `dir` when they were
/// killed (SIGKILL, a crash, power loss): `<name>.tmp-<pid>-<nonce>-<n>` files
/// whose process is no longer running, or whose pid is this process's from an
/// earlier life (a pid reused, as in containers where every run is pid 1).
/// Temporaries of running processes are left alone. Returns the paths removed.
/// Never throws; a file that cannot be removed is left.
std::vector<std::string> remove_stale_temporaries(const std::string& dir);

/// True when `file_name` has the form of an AtomicFile temporary.
bool is_temporary_name(const std::string& file_name);

/// A fresh temporary path next to `path`, `<path>.tmp-<pid>-<nonce>-<n>`: unique per
/// process and per call, so parallel workers never share one, and recognised by
/// is_temporary_name and remove_stale_temporaries. For writers that make their file
/// some other way (libsndfile) and rename it into place themselves.
std::string temporary_name_for(const std::string& path);

}  // namespace tw::io
