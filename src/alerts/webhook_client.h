#pragma once
// One HTTP POST at a time to a webhook receiver, with libcurl's multi interface so
// that another thread can cut a transfer short at once (curl_multi_wakeup) instead of
// waiting out a timeout. One client per sender thread; the connection is kept alive
// between requests.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alerts/webhook_retry.h"

namespace tw::alerts {

struct WebhookClientConfig {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};  ///< whole exchange, connect included
  std::string user_agent;
};

/// What one attempt came to.
struct WebhookResponse {
  bool aborted = false;                  ///< cut short by interrupt(); nothing can be concluded
  long status = 0;                       ///< HTTP status, 0 when no response arrived
  std::optional<WebhookFailure> failure; ///< nullopt: delivered (2xx)
  std::optional<std::chrono::seconds> retry_after;
  std::string error;                     ///< libcurl's message, or the start of an error response's body
};

class WebhookClient {
 public:
  /// Throws std::runtime_error when libcurl cannot be initialised.
  explicit WebhookClient(WebhookClientConfig config);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  /// POSTs `body` to `url` with `headers` ("Name: value"), waiting at most the
  /// configured timeouts; returns early, aborted, once `abort` is set and
  /// interrupt() called. Never throws for network errors (they are the result).
  WebhookResponse post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                       const std::atomic<bool>& abort);

  /// Any thread: wakes a post() in progress (or the next one) to look at `abort`.
  void interrupt() noexcept;

 private:
  WebhookClientConfig config_;
  void* easy_ = nullptr;   // CURL*
  void* multi_ = nullptr;  // CURLM*
};

/// Throws std::invalid_argument unless `url` is an absolute http:// or https:// URL
/// with a host that libcurl can parse.
void validate_webhook_url(const std::string& url);

}  // namespace tw::alerts
