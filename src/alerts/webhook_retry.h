#pragma once
// What a webhook sender does after an attempt: which outcomes are final, how long
// to wait before the next try, and what a receiver's Retry-After asks for.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tw::alerts {

/// Why an attempt failed; each kind has its own counter in the metrics.
enum class WebhookFailure {
  connect,            ///< refused, unreachable, or the name did not resolve
  timeout,            ///< connect or request timeout
  tls,                ///< TLS handshake or certificate
  network,            ///< the connection broke mid-request, or an empty reply
  server_error,       ///< HTTP 5xx
  throttled,          ///< HTTP 408 or 429
  rejected,           ///< any other HTTP 4xx: permanent, never retried
  unexpected_status,  ///< 1xx or 3xx as a final status (redirects are not followed)
  other,              ///< any other transfer error
};
inline constexpr std::size_t kWebhookFailureKinds = 9;

/// Name of a failure kind for metrics labels ("connect", "server_error", ...).
std::string_view to_string(WebhookFailure failure) noexcept;

/// What to do with a completed HTTP exchange of status `status`: nullopt when it
/// delivered the event (2xx), otherwise the failure kind.
std::optional<WebhookFailure> classify_http_status(long status) noexcept;

/// Only `rejected` is final: 4xx other than 408 (Request Timeout) and 429 (Too Many
/// Requests) says the request itself is wrong and will be wrong again (RFC 9110
/// §15.5); everything else may succeed later.
bool is_permanent(WebhookFailure failure) noexcept;

/// Exponential backoff with jitter.
struct BackoffPolicy {
  std::chrono::milliseconds initial{500};  ///< delay after the first failure
  std::chrono::milliseconds max{60'000};   ///< the doubling stops here
  double jitter = 0.5;                     ///< fraction of each delay drawn at random, 0..1
};

/// The wait after the `failures`-th consecutive failure (1 for the first):
/// d = min(max, initial * 2^(failures-1)), of which the fraction `jitter` is drawn
/// uniformly: d * (1 - jitter * uniform01). jitter 1 is the "full jitter" of
/// Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015), which
/// spreads the retries of many senders after an outage; 0 is plain doubling.
/// `uniform01` in [0, 1).
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned failures, double uniform01) noexcept;

/// The delay a Retry-After header value asks for (RFC 9110 §10.2.3): either
/// delay-seconds (1*DIGIT) or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and
/// asctime forms a recipient must accept, §5.6.7), relative to `now_unix_s`. A date
/// in the past is zero; anything else unparseable is nullopt. Outside input: never
/// throws, whatever the bytes.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now_unix_s) noexcept;

}  // namespace tw::alerts
