#include "alerts/webhook_sink.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <pthread.h>
#include <random>
#include <stdexcept>
#include <thread>

#include "alerts/hmac.h"
#include "alerts/webhook_client.h"

#ifndef TW_VERSION
#define TW_VERSION "unknown"
#endif

namespace tw::alerts {
namespace {

WebhookConfig validated(WebhookConfig config) {
  if (config.urls.empty()) throw std::invalid_argument("webhook: urls is empty (give at least one --webhook URL)");
  for (std::size_t i = 0; i < config.urls.size(); ++i) {
    validate_webhook_url(config.urls[i]);
    for (std::size_t j = 0; j < i; ++j) {
      if (config.urls[i] == config.urls[j]) throw std::invalid_argument("webhook: URL given twice: " + config.urls[i]);
    }
  }
  if (config.spool_directory.empty()) throw std::invalid_argument("webhook: spool_directory is empty");
  if (config.spool_max_bytes == 0) throw std::invalid_argument("webhook: spool_max_bytes must be positive");
  if (config.connect_timeout.count() <= 0) throw std::invalid_argument("webhook: connect_timeout must be positive");
  if (config.request_timeout.count() <= 0) throw std::invalid_argument("webhook: request_timeout must be positive");
  if (config.backoff.initial.count() <= 0) throw std::invalid_argument("webhook: backoff.initial must be positive");
  if (config.backoff.max < config.backoff.initial) {
    throw std::invalid_argument("webhook: backoff.max must be at least backoff.initial");
  }
  if (!(config.backoff.jitter >= 0.0 && config.backoff.jitter <= 1.0)) {
    throw std::invalid_argument("webhook: backoff.jitter must be between 0 and 1");
  }
  if (config.retry_after_max.count() < 0) throw std::invalid_argument("webhook: retry_after_max must not be negative");
  if (config.max_attempts && *config.max_attempts == 0) {
    throw std::invalid_argument("webhook: max_attempts must be at least 1 (or unset: retry until delivered)");
  }
  return config;
}

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool WebhookFilter::accepts(const Event& event) const {
  if (all_events) return true;
  if (alerts && event.kind == EventKind::alert) return true;
  return std::find(types.begin(), types.end(), event.type) != types.end();
}

std::string webhook_idempotency_key(std::string_view call_id, std::uint64_t sequence) {
  // A header value must not carry control characters (RFC 9110 §5.5); call ids come
  // from outside (file names, SIP Call-IDs), so anything but visible ASCII is escaped.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string key;
  key.reserve(call_id.size() + 21);
  for (char ch : call_id) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '%') {
      key += '%';
      key += kHex[c >> 4];
      key += kHex[c & 0x0f];
    } else {
      key += ch;
    }
  }
  key += ':';
  key += std::to_string(sequence);
  return key;
}

std::string webhook_body(const Event& event, std::uint64_t sequence) {
  nlohmann::json json = to_json(event);
  json["sequence"] = sequence;
  // Invalid UTF-8 in a message must not lose the alert: replaced by U+FFFD.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One per URL: takes the URL's oldest undelivered event from the spool and POSTs it
// until it is delivered or given up, then the next (head of line).
class WebhookSink::Sender {
 public:
  Sender(WebhookSink& sink, std::size_t index)
      : sink_(sink),
        index_(index),
        url_(sink.config_.urls[index]),
        client_(WebhookClientConfig{sink.config_.connect_timeout, sink.config_.request_timeout, sink.user_agent_}),
        rng_(std::random_device{}() ^ (0x9e3779b97f4a7c15ull * (index + 1))) {}

  void start() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "tw-webhook");  // named for top -H and perf
      run();
    });
  }
  void interrupt() noexcept { client_.interrupt(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  WebhookUrlStats stats() const {
    WebhookUrlStats s;
    s.url = url_;
    s.delivered = delivered_.load(std::memory_order_relaxed);
    s.attempts = attempts_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    for (std::size_t k = 0; k < kWebhookFailureKinds; ++k) s.failures[k] = failures_[k].load(std::memory_order_relaxed);
    s.dropped_rejected = rejected_.load(std::memory_order_relaxed);
    s.dropped_gave_up = gave_up_.load(std::memory_order_relaxed);
    s.last_status = last_status_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  void run() {
    while (!sink_.stopping_.load(std::memory_order_acquire)) {
      std::uint64_t seen = 0;
      {
        std::lock_guard<std::mutex> lock(sink_.wake_mutex_);
        seen = sink_.generation_;
      }
      std::optional<SpooledEvent> event;
      try {
        event = sink_.spool_.head(index_);
      } catch (const std::exception& e) {
        warn(std::string("cannot read the spool: ") + e.what());
        wait_until(std::chrono::steady_clock::now() + sink_.config_.backoff.max);
        continue;
      }
      if (!event) {
        std::unique_lock<std::mutex> lock(sink_.wake_mutex_);
        sink_.wake_cv_.wait(lock, [&] { return sink_.stopping_.load() || sink_.generation_ != seen; });
        continue;
      }
      if (event->sequence != current_) {  // a new head (or the old one was dropped by the bound)
        current_ = event->sequence;
        failures_in_row_ = 0;
      }
      if (failures_in_row_ > 0 && std::chrono::steady_clock::now() < next_attempt_) {
        wait_until(next_attempt_);
        continue;
      }
      try {
        attempt(*event);
      } catch (const std::exception& e) {  // out of memory building a request: the event stays at the head
        warn(std::string("attempt failed: ") + e.what());
        wait_until(std::chrono::steady_clock::now() + sink_.config_.backoff.max);
      }
    }
  }

  // Sleeps until `when` or until the sink stops; new events do not end a backoff.
  void wait_until(std::chrono::steady_clock::time_point when) {
    std::unique_lock<std::mutex> lock(sink_.wake_mutex_);
    sink_.wake_cv_.wait_until(lock, when, [&] { return sink_.stopping_.load(); });
  }

  void attempt(const SpooledEvent& event) {
    std::vector<std::string> headers{"Idempotency-Key: " + event.idempotency_key};
    if (!sink_.config_.secret.empty()) {
      const std::string timestamp = std::to_string(unix_now_s());
      headers.push_back(std::string(kTimestampHeader) + ": " + timestamp);
      headers.push_back(std::string(kSignatureHeader) + ": " +
                        webhook_signature(sink_.config_.secret, timestamp, event.body));
    }
    attempts_.fetch_add(1, std::memory_order_relaxed);
    if (failures_in_row_ > 0) retries_.fetch_add(1, std::memory_order_relaxed);
    const WebhookResponse response = client_.post(url_, headers, event.body, sink_.stopping_);
    if (response.aborted) return;  // stopping: the event stays in the spool
    if (response.status != 0) last_status_.store(response.status, std::memory_order_relaxed);

    if (!response.failure) {
      // Counted and logged before finish(): flush() returns once finish() is done.
      delivered_.fetch_add(1, std::memory_order_relaxed);
      if (outage_reported_) warn("delivering again");
      outage_reported_ = false;
      finish(event.sequence);
      return;
    }
    const WebhookFailure failure = *response.failure;
    failures_[static_cast<std::size_t>(failure)].fetch_add(1, std::memory_order_relaxed);
    if (is_permanent(failure)) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      warn("rejected event " + event.idempotency_key + " with HTTP " + std::to_string(response.status) + " (" +
           response.error + "); dropped, not retried");
      finish(event.sequence);
      return;
    }
    ++failures_in_row_;
    if (sink_.config_.max_attempts && failures_in_row_ >= *sink_.config_.max_attempts) {
      gave_up_.fetch_add(1, std::memory_order_relaxed);
      warn("gave up on event " + event.idempotency_key + " after " + std::to_string(failures_in_row_) +
           " attempts (last: " + describe(failure, response) + ")");
      finish(event.sequence);
      return;
    }
    std::chrono::milliseconds delay = backoff_delay(sink_.config_.backoff, failures_in_row_, uniform_(rng_));
    if (response.retry_after) {
      // Retry-After is a floor: the receiver said when it can take requests again.
      const auto asked = std::chrono::duration_cast<std::chrono::milliseconds>(*response.retry_after);
      delay = std::max(delay, std::min(asked, sink_.config_.retry_after_max));
    }
    next_attempt_ = std::chrono::steady_clock::now() + delay;
    if (!outage_reported_) {
      // Once per outage, not per retry: a receiver down for an hour would flood the log.
      warn(describe(failure, response) + "; retrying with backoff, events wait in the spool");
      outage_reported_ = true;
    }
  }

  static std::string describe(WebhookFailure failure, const WebhookResponse& response) {
    std::string text(to_string(failure));
    if (response.status != 0) text += " HTTP " + std::to_string(response.status);
    if (!response.error.empty()) text += ": " + response.error;
    return text;
  }

  void finish(std::uint64_t sequence) {
    current_ = 0;
    failures_in_row_ = 0;
    try {
      sink_.spool_.ack(index_, sequence);
    } catch (const std::exception& e) {
      // The cursor moved in memory; only its file lags, so a restart may send this event again.
      warn(std::string("cannot record the delivery in the spool: ") + e.what());
    }
    sink_.notify_progress();
  }

  void warn(const std::string& what) const noexcept {
    try {
      sink_.log(url_ + ": " + what);
    } catch (...) {  // building the line could not allocate
    }
  }

  WebhookSink& sink_;
  const std::size_t index_;
  const std::string url_;
  WebhookClient client_;
  std::thread thread_;

  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> attempts_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::array<std::atomic<std::uint64_t>, kWebhookFailureKinds> failures_{};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> gave_up_{0};
  std::atomic<long> last_status_{0};

  // Sender thread only.
  std::uint64_t current_ = 0;
  unsigned failures_in_row_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
  bool outage_reported_ = false;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
};

WebhookSink::WebhookSink(WebhookConfig config)
    : config_(validated(std::move(config))),
      user_agent_(std::string("tonewatch/") + TW_VERSION),
      spool_(WebhookSpoolConfig{config_.spool_directory, config_.spool_max_bytes, config_.spool_fsync}, config_.urls) {
  try {
    for (std::size_t i = 0; i < config_.urls.size(); ++i) senders_.push_back(std::make_unique<Sender>(*this, i));
    for (auto& sender : senders_) sender->start();
  } catch (...) {
    stopping_.store(true, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
    }
    wake_cv_.notify_all();
    for (auto& sender : senders_) sender->interrupt();
    for (auto& sender : senders_) sender->join();
    throw;
  }
}

WebhookSink::~WebhookSink() {
  stopping_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);  // a sender between its check and its wait sees the flag
  }
  wake_cv_.notify_all();
  progress_cv_.notify_all();
  for (auto& sender : senders_) sender->interrupt();
  for (auto& sender : senders_) sender->join();
}

void WebhookSink::on_event(const Event& event) noexcept {
  try {
    if (!config_.filter.accepts(event)) {
      filtered_out_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const bool by_event = config_.key_by_event_sequence;
    const std::optional<std::uint64_t> sequence = spool_.append([&event, by_event](std::uint64_t s) {
      return SpooledEvent{s, webhook_idempotency_key(event.call_id, by_event ? event.sequence : s), webhook_body(event, s)};
    });
    if (sequence) {
      accepted_.fetch_add(1, std::memory_order_relaxed);
    } else {
      log("event " + event.type + " of call " + event.call_id + " is larger than spool_max_bytes; dropped");
    }
  } catch (const std::exception& e) {
    spool_errors_.fetch_add(1, std::memory_order_relaxed);
    log(std::string("event lost: ") + e.what());
    return;
  } catch (...) {
    spool_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    ++generation_;
  }
  wake_cv_.notify_all();
  progress_cv_.notify_all();  // the bound may have dropped what a flush() waits for
}

void WebhookSink::notify_progress() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);  // after the spool changed, so flush() cannot miss it
  }
  progress_cv_.notify_all();
}

bool WebhookSink::flush(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  const auto pending = [this] {
    for (std::size_t u = 0; u < spool_.url_count(); ++u) {
      if (spool_.depth(u).events > 0) return true;
    }
    return false;
  };
  return progress_cv_.wait_until(lock, deadline, [&] { return !pending(); });
}

WebhookStats WebhookSink::stats() const {
  WebhookStats s;
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.filtered_out = filtered_out_.load(std::memory_order_relaxed);
  s.spool_errors = spool_errors_.load(std::memory_order_relaxed);
  s.spool_corrupt = spool_.corrupt();
  s.spool = spool_.total();
  for (std::size_t u = 0; u < senders_.size(); ++u) {
    WebhookUrlStats url = senders_[u]->stats();
    url.dropped_spool_full = spool_.dropped(u);
    url.depth = spool_.depth(u);
    s.urls.push_back(std::move(url));
  }
  return s;
}

void WebhookSink::log(const std::string& line) const noexcept {
  try {
    if (config_.log) {
      config_.log(line);
      return;
    }
    const std::string text = "tonewatch: webhook " + line + "\n";
    std::fputs(text.c_str(), stderr);
  } catch (...) {
    // A failing log must not take a sender thread (and the process) down.
  }
}

}  // namespace tw::alerts
