#pragma once
// One writer per output folder: an advisory lock that names its holder.

#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace tw::io {

/// Another process holds the lock.
class FolderBusy : public std::runtime_error {
 public:
  FolderBusy(const std::string& message, pid_t holder) : std::runtime_error(message), holder_(holder) {}
  /// The holder's process id, or 0 when it has not written it yet.
  pid_t holder() const noexcept { return holder_; }

 private:
  pid_t holder_;
};

/// An exclusive advisory lock (flock(2)) on the file `<dir>/<file_name>`, which
/// holds the owner's pid as text. The kernel drops the lock when the process
/// ends however it ends (even SIGKILL), so a lock never outlives its run. The
/// file itself stays: removing it would let two processes lock different files
/// under one name. Advisory: it binds only the programs that take it.
class FolderLock {
 public:
  /// Takes the lock without waiting. Throws FolderBusy naming the holder's pid
  /// when another process has it, std::runtime_error naming the path when the
  /// file cannot be created.
  FolderLock(const std::string& dir, const std::string& file_name);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace tw::io
