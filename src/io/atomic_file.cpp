#include "io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace tw::io {
namespace {
// Unique per process and per file, so parallel workers never share a temporary.
std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_path_(temporary_name(path_)) {
  stream_.open(temporary_path_, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!stream_) {
    throw std::runtime_error(path_ + ": cannot create output file: " + std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    stream_.close();
    std::error_code ignored;
    std::filesystem::remove(temporary_path_, ignored);
  }
}

void AtomicFile::commit() {
  stream_.flush();
  const bool written = static_cast<bool>(stream_);
  stream_.close();
  if (!written || stream_.fail()) {
    throw std::runtime_error(path_ + ": write failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(temporary_path_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot move output into place: " + ec.message());
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  AtomicFile file(path);
  file.stream() << content;
  file.commit();
}

}  // namespace tw::io
