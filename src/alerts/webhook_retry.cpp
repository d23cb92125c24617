#include "alerts/webhook_retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include <curl/curl.h>

namespace tw::alerts {

std::string_view to_string(WebhookFailure failure) noexcept {
  switch (failure) {
    case WebhookFailure::connect: return "connect";
    case WebhookFailure::timeout: return "timeout";
    case WebhookFailure::tls: return "tls";
    case WebhookFailure::network: return "network";
    case WebhookFailure::server_error: return "server_error";
    case WebhookFailure::throttled: return "throttled";
    case WebhookFailure::rejected: return "rejected";
    case WebhookFailure::unexpected_status: return "unexpected_status";
    case WebhookFailure::other: return "other";
  }
  return "other";
}

std::optional<WebhookFailure> classify_http_status(long status) noexcept {
  if (status >= 200 && status <= 299) return std::nullopt;
  if (status == 408 || status == 429) return WebhookFailure::throttled;
  if (status >= 400 && status <= 499) return WebhookFailure::rejected;
  if (status >= 500 && status <= 599) return WebhookFailure::server_error;
  // 1xx as a final status, 3xx (a POST is not re-sent to another URL behind the
  // operator's back), or a number outside HTTP's range: kept and retried, so a
  // misconfigured receiver loses nothing until the spool bound decides.
  return WebhookFailure::unexpected_status;
}

bool is_permanent(WebhookFailure failure) noexcept { return failure == WebhookFailure::rejected; }

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned failures, double uniform01) noexcept {
  const double initial_ms = static_cast<double>(policy.initial.count());
  const double max_ms = static_cast<double>(policy.max.count());
  // 2^(failures-1) overflows nothing in double; the cap applies before jitter.
  const double exponent = failures == 0 ? 0.0 : static_cast<double>(std::min(failures - 1, 1000u));
  const double base_ms = std::min(max_ms, initial_ms * std::pow(2.0, exponent));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double u = std::clamp(uniform01, 0.0, 1.0);
  const double delay_ms = base_ms * (1.0 - jitter * u);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(std::max(0.0, delay_ms))));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now_unix_s) noexcept {
  // Optional whitespace around a field value is not part of it (RFC 9110 §5.5).
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // More digits than an int64 holds: longer than anyone will wait; the caller caps it.
    if (ec == std::errc::result_out_of_range) return std::chrono::seconds(INT32_MAX);
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min<std::int64_t>(seconds, INT32_MAX));
  }
  // An HTTP-date: libcurl's curl_getdate reads all three forms of RFC 9110 §5.6.7.
  if (value.size() > 64) return std::nullopt;
  try {
    const std::string text(value);
    const time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == -1) return std::nullopt;
    const std::int64_t delta = static_cast<std::int64_t>(when) - now_unix_s;
    return std::chrono::seconds(std::clamp<std::int64_t>(delta, 0, INT32_MAX));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace tw::alerts
