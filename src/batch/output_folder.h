#pragma once
// The folder a batch writes into, held for the length of one run.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/folder_lock.h"

namespace tw::batch {

/// The output folder cannot be used: it is a file, cannot be created, or is in
/// use by another run (then holder() is that run's pid).
class OutputFolderError : public std::runtime_error {
 public:
  explicit OutputFolderError(const std::string& message, long holder = 0)
      : std::runtime_error(message), holder_(holder) {}
  long holder() const noexcept { return holder_; }

 private:
  long holder_;
};

/// File names the batch keeps in an output folder besides the calls' files.
inline constexpr const char* kLockFileName = "tonewatch.lock";
inline constexpr const char* kManifestFileName = "tonewatch-manifest.jsonl";

/// Creates the folder if needed, takes its lock (io::FolderLock on
/// tonewatch.lock: one run per folder at a time), then removes the temporaries
/// of runs that were killed. The manifest, tonewatch-manifest.jsonl, gets one
/// JSON line per record (append_manifest): what each run ran with and what
/// became of each call. The lock is released on destruction (or by the kernel
/// if the process dies).
class OutputFolder {
 public:
  /// Throws OutputFolderError naming the folder and the problem.
  explicit OutputFolder(const std::string& dir);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  /// Temporaries of dead runs removed when the folder was taken.
  const std::vector<std::string>& removed_temporaries() const noexcept { return removed_; }
  /// Appends one record as a line (one write, flushed). Throws std::runtime_error on failure.
  void append_manifest(const nlohmann::json& record);

 private:
  std::string dir_;
  std::unique_ptr<io::FolderLock> lock_;
  std::vector<std::string> removed_;
};

}  // namespace tw::batch
