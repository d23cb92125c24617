#pragma once
// Webhook delivery of supervisor alerts (`--webhook URL`, repeatable): each event
// the filter accepts is POSTed as JSON to every URL, in order per URL, until the
// receiver answers 2xx. Events wait in an on-disk spool (alerts/webhook_spool.h), so
// none is lost while a receiver is down or across a restart of tonewatch; only the
// spool's size bound (oldest first) or a permanent refusal (4xx) drops one, and
// both are counted.
//
// The request (one per event and URL):
//   POST <url>
//   Content-Type: application/json
//   User-Agent: tonewatch/<version>
//   Idempotency-Key: <call id>:<sequence>
//   X-Tonewatch-Timestamp: <Unix seconds of this attempt>          (with a secret)
//   X-Tonewatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//   body: to_json(event) plus "sequence": the spool's sequence number.
// The sequence is global to the spool and strictly increasing, across restarts too:
// a receiver sees increasing sequences per URL (gaps are events the filter passed
// but that were dropped, or were sent to other URLs only before this one was added).
// The body and the Idempotency-Key are byte-identical on every attempt and after a
// restart; the timestamp and signature are made afresh per attempt. A receiver that
// answered 2xx but whose answer was lost (a timeout) gets the event again with the
// same key: dedup on it. Characters of the call id outside visible ASCII, and '%',
// are percent-encoded in the key.
//
// Outcomes per attempt: 2xx delivered; 4xx other than 408/429 permanent (counted,
// logged, dropped, never retried); 5xx, 408, 429, connection errors and timeouts are
// retried with exponential backoff and jitter, waiting at least what Retry-After
// asks (capped by retry_after_max). Head of line: event n+1 is not sent to a URL
// before n was delivered there or given up.
//
// Acknowledgements. When a supervisor acknowledges an alert on the dashboard, the
// server emits an ordinary Event, which the default filter passes:
//   call_id  = the alert's call
//   time_s   = the call's stream time at the acknowledgement
//   kind     = EventKind::event, type = "alert_acknowledged" (kAlertAcknowledgedType)
//   severity = info, state = instant, speaker = the alert's speaker
//   since_s  = the acknowledged alert's time_s
//   message  = "acknowledged by <who>"
//   details  = {"acknowledged_by": "<who>", "acknowledged_at": "<RFC 3339 UTC wall clock>",
//               "alert_type": "<the alert's type>", "alert_time_s": <the alert's time_s>}

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/event_sink.h"
#include "alerts/webhook_retry.h"
#include "alerts/webhook_spool.h"

namespace tw::alerts {

/// Event type of a supervisor's acknowledgement of an alert (see the header comment).
inline constexpr std::string_view kAlertAcknowledgedType = "alert_acknowledged";

/// Which events go to the webhooks.
struct WebhookFilter {
  bool all_events = false;  ///< every event (what the event stream carries)
  bool alerts = true;       ///< kind == EventKind::alert
  std::vector<std::string> types{std::string(kAlertAcknowledgedType)};  ///< and these types, whatever their kind
  /// True when `event` should be delivered.
  bool accepts(const Event& event) const;
};

struct WebhookConfig {
  std::vector<std::string> urls;     ///< one or more http(s) URLs; each gets every event independently
  std::string secret;                ///< HMAC key; empty: requests are not signed
  std::filesystem::path spool_directory;
  std::uint64_t spool_max_bytes = 64ull << 20;  ///< bound on the spool's event files
  bool spool_fsync = true;           ///< fsync each event and cursor (see webhook_spool.h)
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};  ///< one attempt, connect included
  BackoffPolicy backoff;             ///< initial 500 ms, doubling to 60 s, half of each delay jittered
  std::chrono::milliseconds retry_after_max{600'000};  ///< a longer Retry-After is cut to this
  std::optional<unsigned> max_attempts;  ///< nullopt: retry until delivered (or the bound drops it)
  WebhookFilter filter;
  /// The Idempotency-Key from the event's own identity, <call id>:<the event's seq>, instead
  /// of the spool's sequence: what several instances delivering one event agree on (a
  /// fleet on the bus, docs/fleet.md), since each has a spool of its own.
  bool key_by_event_sequence = false;
  /// Where warnings go (permanent failures, outages and recoveries, drops, spool
  /// errors); called from the sender threads. Empty: standard error.
  std::function<void(const std::string&)> log;
};

/// Failures by kind, index = static_cast<std::size_t>(WebhookFailure).
using WebhookFailureCounts = std::array<std::uint64_t, kWebhookFailureKinds>;

/// One URL's delivery counters since the sink started, and its spool depth now.
struct WebhookUrlStats {
  std::string url;
  std::uint64_t delivered = 0;          ///< 2xx received
  std::uint64_t attempts = 0;           ///< requests started
  std::uint64_t retries = 0;            ///< attempts after a failure of the same event
  WebhookFailureCounts failures{};      ///< failed attempts by kind
  std::uint64_t dropped_spool_full = 0; ///< forced out of the spool by its bound before delivery
  std::uint64_t dropped_rejected = 0;   ///< permanent failure (4xx), not retried
  std::uint64_t dropped_gave_up = 0;    ///< max_attempts reached
  SpoolDepth depth;                     ///< waiting for this URL
  long last_status = 0;                 ///< last HTTP status received, 0 for none yet
};

struct WebhookStats {
  std::uint64_t accepted = 0;      ///< events spooled
  std::uint64_t filtered_out = 0;  ///< events the filter passed over
  std::uint64_t spool_errors = 0;  ///< events lost because the spool could not write them (logged)
  std::uint64_t spool_corrupt = 0; ///< unreadable event files removed
  SpoolDepth spool;                ///< on disk, all URLs
  std::vector<WebhookUrlStats> urls;
};

class WebhookSink final : public EventSink {
 public:
  /// Validates the config (std::invalid_argument naming the field), opens the spool
  /// (std::runtime_error naming the path) and starts one sender thread per URL,
  /// which at once resumes what an earlier run left in the spool.
  explicit WebhookSink(WebhookConfig config);
  /// Stops promptly: a request in flight is abandoned (it stays in the spool and is
  /// sent again by the next sink on the same spool, with the same key).
  ~WebhookSink() override;
  WebhookSink(const WebhookSink&) = delete;
  WebhookSink& operator=(const WebhookSink&) = delete;

  /// Spools the event if the filter accepts it and wakes the senders. Never waits for
  /// the network: it writes (and by default fsyncs) one small file. Never throws: a
  /// spool write error is counted and logged. Called from the delivery thread of an
  /// AsyncEventSink, or any thread.
  void on_event(const Event& event) noexcept override;

  /// Waits until every URL has had everything spooled so far (delivered or given
  /// up), or until `deadline`. Returns true when nothing is left. What remains stays
  /// in the spool for the next start.
  bool flush(std::chrono::steady_clock::time_point deadline);

  /// A snapshot of the counters and spool depths (for metrics). Any thread.
  WebhookStats stats() const;

 private:
  class Sender;

  void log(const std::string& line) const noexcept;
  void notify_progress();

  WebhookConfig config_;
  std::string user_agent_;
  WebhookSpool spool_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> filtered_out_{0};
  std::atomic<std::uint64_t> spool_errors_{0};

  mutable std::mutex wake_mutex_;
  std::condition_variable wake_cv_;      // senders: new events, or stop
  std::condition_variable progress_cv_;  // flush(): a sender finished with an event
  std::uint64_t generation_ = 0;         // appended events, under wake_mutex_

  std::vector<std::unique_ptr<Sender>> senders_;
};

/// The Idempotency-Key of an event: `<call id>:<sequence>`, the call id percent-
/// encoded where it is not visible ASCII (or is '%').
std::string webhook_idempotency_key(std::string_view call_id, std::uint64_t sequence);

/// The body POSTed for `event` with spool sequence `sequence`.
std::string webhook_body(const Event& event, std::uint64_t sequence);

}  // namespace tw::alerts
