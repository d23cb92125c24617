#pragma once
// Output files that appear whole or not at all.

#include <fstream>
#include <string>

namespace tw::io {

/// A text file written under a temporary name and renamed into place by
/// commit(), so an interrupted run never leaves a half-written file. Destroying
/// an uncommitted AtomicFile deletes the temporary.
class AtomicFile {
 public:
  /// Opens the temporary next to `path`. Throws std::runtime_error naming the path.
  explicit AtomicFile(std::string path);
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
  std::ofstream stream_;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace tw::io
