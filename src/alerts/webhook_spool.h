#pragma once
// The webhook sink's durable queue: every event to deliver is a file on disk until
// each configured URL has had it (or it was forced out), so nothing is lost while a
// receiver is down or across a restart of tonewatch.
//
// Layout of the spool directory:
//   lock                                   flock()ed by the one process using the spool
//   events/<sequence, 20 digits>.event     "<idempotency key>\n<body>", one file per event
//   cursors/<sha256(url), 16 hex>.cursor   "<next sequence>\n<url>\n", one file per URL
// Sequences are global to the spool, strictly increasing, and never reused (a new
// process starts after the largest sequence in any event or cursor file).
//
// Durability (SpoolConfig::fsync, on by default): an event is written to a temporary
// file, fsync()ed, renamed into place and the directory fsync()ed before append()
// returns, so an appended event survives a crash or power loss; a cursor is replaced
// the same way after each delivery. Without fsync the files survive a crash of the
// process (they are in the page cache) but not of the machine. At-least-once across
// a crash: if the process dies between a receiver's 2xx and the cursor write, that
// one event is sent again after the restart with the same idempotency key.
//
// Bound: the event files' bytes never exceed max_bytes. Appending past it removes
// the oldest events first, counted as dropped for each URL that still needed them.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tw::alerts {

struct WebhookSpoolConfig {
  std::filesystem::path directory;         ///< created if missing
  std::uint64_t max_bytes = 64ull << 20;   ///< bound on the event files' total size
  bool fsync = true;                       ///< see the header comment
};

/// One spooled delivery, POSTed identically on every attempt and after a restart.
struct SpooledEvent {
  std::uint64_t sequence = 0;
  std::string idempotency_key;  ///< no control characters, no newline
  std::string body;             ///< the JSON document POSTed
};

/// The content of an event file: "<idempotency key>\n<body>".
std::string format_spooled_event(const SpooledEvent& event);
/// Reads what format_spooled_event wrote (the sequence comes from the file name and
/// is left 0). nullopt unless the key is visible ASCII and the body a braced object.
/// Files on disk may be damaged: never throws on any bytes (except std::bad_alloc).
std::optional<SpooledEvent> parse_spooled_event(std::string_view content);

/// Events (and their bytes) waiting for one URL, or on disk in all.
struct SpoolDepth {
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
};

/// Thread-safe: one appender and one sender per URL may call concurrently.
class WebhookSpool {
 public:
  /// Opens (or creates) the spool for `urls` and locks it against a second process.
  /// A URL with a cursor file resumes from it; a URL new to the spool starts with the
  /// events appended from now on. Cursors of URLs no longer configured are kept on
  /// disk but hold no events. Throws std::invalid_argument for a bad config and
  /// std::runtime_error naming the path for I/O errors or a spool in use.
  WebhookSpool(WebhookSpoolConfig config, std::vector<std::string> urls);
  ~WebhookSpool();
  WebhookSpool(const WebhookSpool&) = delete;
  WebhookSpool& operator=(const WebhookSpool&) = delete;

  /// Assigns the next sequence, asks `make(sequence)` for the key and body, writes
  /// the event durably and drops the oldest events to stay within max_bytes.
  /// Returns the sequence, or nullopt when the event alone is larger than max_bytes
  /// (counted as dropped for every URL). Throws std::runtime_error naming the file
  /// when the write fails; nothing is appended then.
  std::optional<std::uint64_t> append(const std::function<SpooledEvent(std::uint64_t sequence)>& make);

  /// The oldest event `url` has not had, read from disk; nullopt when it is up to
  /// date. An unreadable or malformed event file is removed and counted as corrupt.
  std::optional<SpooledEvent> head(std::size_t url);

  /// `url` is done with `sequence` (delivered, or given up on): its cursor moves past
  /// it durably, and events every URL is done with are deleted. Returns false when
  /// the bound had already dropped that event for this URL while it was in flight.
  bool ack(std::size_t url, std::uint64_t sequence);

  std::size_t url_count() const noexcept { return urls_.size(); }
  const std::string& url(std::size_t index) const { return urls_.at(index); }
  /// What `url` still has to receive.
  SpoolDepth depth(std::size_t url) const;
  /// Every event file in the spool.
  SpoolDepth total() const;
  /// Events the bound forced out before `url` had them (since this process opened the spool).
  std::uint64_t dropped(std::size_t url) const;
  /// Event files found unreadable or malformed (since open).
  std::uint64_t corrupt() const;
  /// The sequence the next appended event gets.
  std::uint64_t next_sequence() const;
  /// The cursor file name (within cursors/) that belongs to `url`.
  static std::string cursor_file_name(const std::string& url);

 private:
  struct Entry {
    std::uint64_t sequence;
    std::uint64_t bytes;
  };
  struct Cursor {
    std::uint64_t next = 1;  // smallest sequence this URL has not had
    SpoolDepth depth;
    std::uint64_t dropped = 0;
    std::uint64_t in_flight = 0;     // sequence head() last handed out, 0 for none
    bool in_flight_dropped = false;  // the bound removed it (and counted it) meanwhile
  };

  void load();
  void write_cursor(std::size_t url);  // under mutex_
  void collect_garbage();              // under mutex_: deletes what every URL is done with
  void remove_entry(std::deque<Entry>::iterator it, bool count_as_dropped);  // under mutex_
  std::deque<Entry>::iterator first_at_or_after(std::uint64_t sequence);
  std::filesystem::path event_path(std::uint64_t sequence) const;

  WebhookSpoolConfig config_;
  std::vector<std::string> urls_;
  std::filesystem::path events_dir_;
  std::filesystem::path cursors_dir_;
  int lock_fd_ = -1;

  std::mutex append_mutex_;  // serialises appenders (sequence order = file order)
  mutable std::mutex mutex_; // guards everything below
  std::deque<Entry> entries_;  // by sequence
  std::uint64_t total_bytes_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::vector<Cursor> cursors_;
  std::uint64_t corrupt_ = 0;
};

}  // namespace tw::alerts
