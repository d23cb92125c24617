#include "io/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace tw::io {

FolderLock::FolderLock(const std::string& dir, const std::string& file_name)
    : path_((std::filesystem::path(dir) / file_name).string()) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path_ + ": cannot create the lock file: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    // The holder writes its pid right after locking; read what is there.
    char text[32] = {};
    const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw std::runtime_error(path_ + ": cannot lock: " + std::strerror(error));
    const pid_t holder = n > 0 ? static_cast<pid_t>(std::strtol(text, nullptr, 10)) : 0;
    throw FolderBusy(dir + " is in use by another tonewatch run (" +
                         (holder > 0 ? "pid " + std::to_string(holder) : std::string("pid not yet written")) +
                         ", lock " + path_ + ")",
                     holder);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(path_ + ": cannot write the lock file: " + std::strerror(error));
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace tw::io
