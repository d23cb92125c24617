#include "alerts/webhook_spool.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/hmac.h"

namespace tw::alerts {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kEventSuffix = ".event";
constexpr std::string_view kCursorSuffix = ".cursor";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr std::size_t kSequenceDigits = 20;  // every uint64 fits, and names sort as numbers

std::runtime_error io_error(const std::string& what, const fs::path& path, int error) {
  return std::runtime_error("webhook spool: " + what + " " + path.string() + ": " + std::strerror(error));
}

// fsync of a directory makes a rename or a new entry in it durable (POSIX leaves
// directory entries to the directory's own fsync; see fsync(2), "Notes").
void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) throw io_error("cannot fsync directory", dir, error);
}

// Writes `content` to `path` atomically: a temporary file, fsync, rename over the
// target, fsync of the directory. A reader (or a restart) sees the old file or the
// new one, never a torn one.
void write_file_atomically(const fs::path& path, std::string_view content, bool sync) {
  fs::path temp = path;
  temp += kTempSuffix;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw io_error("cannot create", temp, errno);
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(temp.c_str());
      throw io_error("cannot write", temp, error);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw io_error("cannot fsync", temp, error);
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw io_error("cannot close", temp, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw io_error("cannot rename into place", path, error);
  }
  if (sync) fsync_directory(path.parent_path());
}

bool read_file(const fs::path& path, std::string& content) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  content.clear();
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

std::optional<std::uint64_t> parse_sequence(std::string_view text) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "<next sequence>\n<url>\n"
std::optional<std::uint64_t> parse_cursor_file(std::string_view content, const std::string* expected_url) {
  const std::size_t newline = content.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  const std::optional<std::uint64_t> next = parse_sequence(content.substr(0, newline));
  if (!next || *next == 0) return std::nullopt;
  if (expected_url != nullptr && content.substr(newline + 1) != *expected_url + "\n") return std::nullopt;
  return next;
}

}  // namespace

std::string format_spooled_event(const SpooledEvent& event) { return event.idempotency_key + "\n" + event.body; }

std::optional<SpooledEvent> parse_spooled_event(std::string_view content) {
  const std::size_t newline = content.find('\n');
  if (newline == std::string_view::npos || newline == 0) return std::nullopt;
  const std::string_view key = content.substr(0, newline);
  const std::string_view body = content.substr(newline + 1);
  // The key becomes a header value: visible ASCII only, as webhook_idempotency_key makes it.
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  if (body.size() < 2 || body.front() != '{' || body.back() != '}') return std::nullopt;
  return SpooledEvent{0, std::string(key), std::string(body)};
}

std::string WebhookSpool::cursor_file_name(const std::string& url) {
  return sha256_hex(url).substr(0, 16) + std::string(kCursorSuffix);
}

WebhookSpool::WebhookSpool(WebhookSpoolConfig config, std::vector<std::string> urls)
    : config_(std::move(config)), urls_(std::move(urls)) {
  if (config_.directory.empty()) throw std::invalid_argument("webhook spool: directory is empty");
  if (config_.max_bytes == 0) throw std::invalid_argument("webhook spool: max_bytes must be positive");
  if (urls_.empty()) throw std::invalid_argument("webhook spool: no URL");
  for (std::size_t i = 0; i < urls_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (urls_[i] == urls_[j]) throw std::invalid_argument("webhook spool: URL given twice: " + urls_[i]);
    }
  }
  events_dir_ = config_.directory / "events";
  cursors_dir_ = config_.directory / "cursors";
  for (const fs::path& dir : {config_.directory, events_dir_, cursors_dir_}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw io_error("cannot create directory", dir, ec.value());
  }
  const fs::path lock_path = config_.directory / "lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw io_error("cannot open", lock_path, errno);
  // One process per spool: two would hand out the same sequences and race on cursors.
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(lock_fd_);
    if (error == EWOULDBLOCK) {
      throw std::runtime_error("webhook spool " + config_.directory.string() + " is in use by another webhook sink");
    }
    throw io_error("cannot lock", lock_path, error);
  }
  try {
    load();
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
}

WebhookSpool::~WebhookSpool() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

fs::path WebhookSpool::event_path(std::uint64_t sequence) const {
  char name[kSequenceDigits + 1];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(sequence));
  return events_dir_ / (std::string(name) + std::string(kEventSuffix));
}

void WebhookSpool::load() {
  std::error_code ec;     // listing errors
  std::error_code ignored;
  std::uint64_t last_sequence = 0;
  for (const fs::directory_entry& file : fs::directory_iterator(events_dir_, ec)) {
    const std::string name = file.path().filename().string();
    if (name.ends_with(kTempSuffix)) {
      // A write that never reached its rename: append() never returned for that event.
      fs::remove(file.path(), ignored);
      continue;
    }
    if (!name.ends_with(kEventSuffix) || name.size() != kSequenceDigits + kEventSuffix.size()) continue;
    const std::optional<std::uint64_t> sequence = parse_sequence(std::string_view(name).substr(0, kSequenceDigits));
    std::error_code size_error;
    const std::uintmax_t size = file.file_size(size_error);
    if (!sequence || *sequence == 0 || size_error) continue;
    entries_.push_back({*sequence, static_cast<std::uint64_t>(size)});
    total_bytes_ += size;
    last_sequence = std::max(last_sequence, *sequence);
  }
  if (ec) throw io_error("cannot list", events_dir_, ec.value());
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.sequence < b.sequence; });

  // Sequences are never reused, even after every event was delivered and deleted:
  // the cursors (of every URL ever configured) remember how far they went.
  std::uint64_t cursor_max = 0;
  std::string content;
  for (const fs::directory_entry& file : fs::directory_iterator(cursors_dir_, ec)) {
    const std::string name = file.path().filename().string();
    if (name.ends_with(kTempSuffix)) {
      fs::remove(file.path(), ignored);
      continue;
    }
    if (!name.ends_with(kCursorSuffix) || !read_file(file.path(), content)) continue;
    if (const std::optional<std::uint64_t> next = parse_cursor_file(content, nullptr)) {
      cursor_max = std::max(cursor_max, *next);
    }
  }
  if (ec) throw io_error("cannot list", cursors_dir_, ec.value());
  next_sequence_ = std::max<std::uint64_t>({last_sequence + 1, cursor_max, 1});

  cursors_.resize(urls_.size());
  for (std::size_t u = 0; u < urls_.size(); ++u) {
    Cursor& cursor = cursors_[u];
    const fs::path path = cursors_dir_ / cursor_file_name(urls_[u]);
    if (read_file(path, content)) {
      const std::optional<std::uint64_t> next = parse_cursor_file(content, &urls_[u]);
      // A damaged cursor restarts from the oldest event kept: a duplicate (with its
      // idempotency key) is better than a lost alert.
      cursor.next = next ? *next : (entries_.empty() ? next_sequence_ : entries_.front().sequence);
    } else {
      cursor.next = next_sequence_;  // new to this spool: the events from now on
    }
    for (const Entry& e : entries_) {
      if (e.sequence >= cursor.next) {
        ++cursor.depth.events;
        cursor.depth.bytes += e.bytes;
      }
    }
    // Written at once so that a restart before the first delivery still knows this
    // URL (and does not take its backlog for events from before its time).
    write_cursor(u);
  }
  collect_garbage();
}

void WebhookSpool::write_cursor(std::size_t url) {
  const std::string content = std::to_string(cursors_[url].next) + "\n" + urls_[url] + "\n";
  write_file_atomically(cursors_dir_ / cursor_file_name(urls_[url]), content, config_.fsync);
}

void WebhookSpool::collect_garbage() {
  std::uint64_t min_next = std::numeric_limits<std::uint64_t>::max();
  for (const Cursor& c : cursors_) min_next = std::min(min_next, c.next);
  while (!entries_.empty() && entries_.front().sequence < min_next) {
    std::error_code ec;
    fs::remove(event_path(entries_.front().sequence), ec);  // a failed unlink only leaves a file for the next load
    total_bytes_ -= entries_.front().bytes;
    entries_.pop_front();
  }
}

void WebhookSpool::remove_entry(std::deque<Entry>::iterator it, bool count_as_dropped) {
  for (Cursor& c : cursors_) {
    if (c.next > it->sequence) continue;  // this URL was done with it
    --c.depth.events;
    c.depth.bytes -= it->bytes;
    if (count_as_dropped) {
      ++c.dropped;
      if (c.in_flight == it->sequence) c.in_flight_dropped = true;
    }
  }
  std::error_code ec;
  fs::remove(event_path(it->sequence), ec);
  total_bytes_ -= it->bytes;
  entries_.erase(it);
}

std::deque<WebhookSpool::Entry>::iterator WebhookSpool::first_at_or_after(std::uint64_t sequence) {
  return std::lower_bound(entries_.begin(), entries_.end(), sequence,
                          [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
}

std::optional<std::uint64_t> WebhookSpool::append(const std::function<SpooledEvent(std::uint64_t)>& make) {
  std::lock_guard<std::mutex> append_lock(append_mutex_);
  std::uint64_t sequence = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sequence = next_sequence_++;  // burnt even if the write fails: sequences are never reused
  }
  const SpooledEvent event = make(sequence);
  const std::string content = format_spooled_event(event);
  const std::uint64_t bytes = content.size();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bytes > config_.max_bytes) {
      for (Cursor& c : cursors_) ++c.dropped;
      return std::nullopt;
    }
    // Make room first, so the bound holds on disk at every moment.
    while (!entries_.empty() && total_bytes_ + bytes > config_.max_bytes) remove_entry(entries_.begin(), true);
  }
  // Only this appender adds entries, so the room made stays free while the file is
  // written without holding up the senders.
  write_file_atomically(event_path(sequence), content, config_.fsync);
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.push_back({sequence, bytes});
  total_bytes_ += bytes;
  for (Cursor& c : cursors_) {
    ++c.depth.events;
    c.depth.bytes += bytes;
  }
  return sequence;
}

std::optional<SpooledEvent> WebhookSpool::head(std::size_t url) {
  std::lock_guard<std::mutex> lock(mutex_);
  Cursor& cursor = cursors_.at(url);
  std::string content;
  for (;;) {
    const auto it = first_at_or_after(cursor.next);
    if (it == entries_.end()) {
      cursor.in_flight = 0;
      return std::nullopt;
    }
    std::optional<SpooledEvent> event;
    if (read_file(event_path(it->sequence), content)) event = parse_spooled_event(content);
    if (event) {
      event->sequence = it->sequence;
      cursor.in_flight = it->sequence;
      cursor.in_flight_dropped = false;
      return event;
    }
    ++corrupt_;
    remove_entry(it, false);
  }
}

bool WebhookSpool::ack(std::size_t url, std::uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  Cursor& cursor = cursors_.at(url);
  const auto it = first_at_or_after(sequence);
  const bool present = it != entries_.end() && it->sequence == sequence && sequence >= cursor.next;
  if (present) {
    --cursor.depth.events;
    cursor.depth.bytes -= it->bytes;
  } else if (cursor.in_flight == sequence && cursor.in_flight_dropped) {
    // The bound removed it while it was being sent, and counted it as dropped; the
    // sender's outcome (delivered, or its own kind of drop) is the one that counts.
    --cursor.dropped;
  }
  cursor.in_flight = 0;
  cursor.in_flight_dropped = false;
  cursor.next = std::max(cursor.next, sequence + 1);
  write_cursor(url);
  collect_garbage();
  return present;
}

SpoolDepth WebhookSpool::depth(std::size_t url) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cursors_.at(url).depth;
}

SpoolDepth WebhookSpool::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {static_cast<std::uint64_t>(entries_.size()), total_bytes_};
}

std::uint64_t WebhookSpool::dropped(std::size_t url) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cursors_.at(url).dropped;
}

std::uint64_t WebhookSpool::corrupt() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return corrupt_;
}

std::uint64_t WebhookSpool::next_sequence() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_sequence_;
}

}  // namespace tw::alerts
