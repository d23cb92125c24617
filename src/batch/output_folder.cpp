#include "batch/output_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/path_text.h"

namespace tw::batch {

OutputFolder::OutputFolder(const std::string& dir) : dir_(dir) {
  const std::string shown = io::escape_invalid_utf8(dir);
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) {
    throw OutputFolderError(shown + " exists and is not a folder");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) throw OutputFolderError(shown + ": cannot create the output folder: " + ec.message());
  try {
    lock_ = std::make_unique<io::FolderLock>(dir, kLockFileName);
  } catch (const io::FolderBusy& busy) {
    throw OutputFolderError(io::escape_invalid_utf8(busy.what()), busy.holder());
  } catch (const std::runtime_error& e) {
    throw OutputFolderError(io::escape_invalid_utf8(e.what()));
  }
  // Holding the lock, no other run writes here: what a dead run left goes.
  removed_ = io::remove_stale_temporaries(dir);
}

OutputFolder::~OutputFolder() = default;

void OutputFolder::append_manifest(const nlohmann::json& record) {
  const std::string path = (std::filesystem::path(dir_) / kManifestFileName).string();
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // O_APPEND and one write: a reader never sees half a line, even after a kill.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(path + ": cannot write the manifest: " + std::strerror(errno));
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error(path + ": cannot write the manifest: " + std::strerror(error));
  }
}

}  // namespace tw::batch
