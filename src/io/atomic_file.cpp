#include "io/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>

namespace tw::io {
namespace {

constexpr std::string_view kTemporaryMark = ".tmp-";

// Tells this process from an earlier one with the same pid: a pid is reused
// (in a container, every run may be pid 1), a random number drawn at start is not.
const std::string& process_nonce() {
  static const std::string nonce = [] {
    std::random_device random;
    char text[16];
    std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(random()));
    return std::string(text);
  }();
  return nonce;
}

bool all_of(std::string_view text, bool (*accept)(char)) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!accept(c)) return false;
  }
  return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

struct TemporaryName {
  long pid = 0;
  std::string nonce;  // empty in the older <pid>-<n> form
};

// "<name>.tmp-<pid>-<nonce>-<n>", or "<name>.tmp-<pid>-<n>" as written before the nonce.
std::optional<TemporaryName> parse_temporary_name(std::string_view name) {
  const std::size_t mark = name.rfind(kTemporaryMark);
  if (mark == std::string_view::npos || mark == 0) return std::nullopt;
  std::string_view rest = name.substr(mark + kTemporaryMark.size());
  std::vector<std::string_view> parts;
  for (std::size_t dash; (dash = rest.find('-')) != std::string_view::npos; rest.remove_prefix(dash + 1)) {
    parts.push_back(rest.substr(0, dash));
  }
  parts.push_back(rest);
  const bool new_form = parts.size() == 3 && all_of(parts[0], is_digit) && parts[1].size() == 8 &&
                        all_of(parts[1], is_hex) && all_of(parts[2], is_digit);
  const bool old_form = parts.size() == 2 && all_of(parts[0], is_digit) && all_of(parts[1], is_digit);
  if ((!new_form && !old_form) || parts[0].size() > 9) return std::nullopt;
  return TemporaryName{std::stol(std::string(parts[0])), new_form ? std::string(parts[1]) : std::string()};
}

bool process_running(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

// Unique per process and per file, so parallel workers never share a temporary.
std::string temporary_name_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + std::string(kTemporaryMark) + std::to_string(::getpid()) + "-" + process_nonce() + "-" +
         std::to_string(counter.fetch_add(1));
}

AtomicFile::AtomicFile(std::string path, std::size_t buffer_bytes)
    : path_(std::move(path)), temporary_path_(temporary_name_for(path_)) {
  if (buffer_bytes > 0) {
    // libstdc++ takes a user buffer for a filebuf only before open().
    buffer_ = std::make_unique<char[]>(buffer_bytes);
    stream_.rdbuf()->pubsetbuf(buffer_.get(), static_cast<std::streamsize>(buffer_bytes));
  }
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

bool is_temporary_name(const std::string& file_name) { return parse_temporary_name(file_name).has_value(); }

std::vector<std::string> remove_stale_temporaries(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::filesystem::directory_iterator entries(dir, ec);
  if (ec) return removed;
  const long own_pid = ::getpid();
  for (const auto& entry : entries) {
    const std::optional<TemporaryName> name = parse_temporary_name(entry.path().filename().string());
    if (!name) continue;
    const bool ours = name->pid == own_pid && name->nonce == process_nonce();
    const bool earlier_life = name->pid == own_pid && !ours;
    if (ours || (!earlier_life && process_running(name->pid))) continue;
    std::error_code ignored;
    if (std::filesystem::is_regular_file(entry.path(), ignored) && std::filesystem::remove(entry.path(), ignored)) {
      removed.push_back(entry.path().string());
    }
  }
  return removed;
}

}  // namespace tw::io
