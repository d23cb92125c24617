// What a webhook sender does after an attempt: status classes, the backoff
// schedule, and the Retry-After forms of RFC 9110.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "alerts/webhook_retry.h"

using namespace tw::alerts;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("HTTP status classes: 2xx delivered / 4xx permanent but 408 and 429 / 5xx retried", "[alerts][webhook]") {
  for (long status : {200L, 201L, 202L, 204L, 299L}) {
    INFO(status);
    CHECK_FALSE(classify_http_status(status).has_value());
  }
  for (long status : {400L, 401L, 403L, 404L, 410L, 413L, 422L, 499L}) {
    INFO(status);
    REQUIRE(classify_http_status(status) == WebhookFailure::rejected);
    CHECK(is_permanent(WebhookFailure::rejected));
  }
  CHECK(classify_http_status(408) == WebhookFailure::throttled);
  CHECK(classify_http_status(429) == WebhookFailure::throttled);
  CHECK(classify_http_status(500) == WebhookFailure::server_error);
  CHECK(classify_http_status(503) == WebhookFailure::server_error);
  CHECK(classify_http_status(599) == WebhookFailure::server_error);
  CHECK(classify_http_status(301) == WebhookFailure::unexpected_status);
  CHECK(classify_http_status(100) == WebhookFailure::unexpected_status);
  CHECK(classify_http_status(0) == WebhookFailure::unexpected_status);
  for (WebhookFailure f : {WebhookFailure::connect, WebhookFailure::timeout, WebhookFailure::tls, WebhookFailure::network,
                           WebhookFailure::server_error, WebhookFailure::throttled, WebhookFailure::unexpected_status,
                           WebhookFailure::other}) {
    INFO(to_string(f));
    CHECK_FALSE(is_permanent(f));
  }
}

TEST_CASE("Backoff doubles from initial up to max and jitter takes a random fraction off", "[alerts][webhook]") {
  BackoffPolicy p{milliseconds(100), milliseconds(1'000), 0.0};
  CHECK(backoff_delay(p, 1, 0.7) == milliseconds(100));
  CHECK(backoff_delay(p, 2, 0.7) == milliseconds(200));
  CHECK(backoff_delay(p, 3, 0.7) == milliseconds(400));
  CHECK(backoff_delay(p, 4, 0.7) == milliseconds(800));
  CHECK(backoff_delay(p, 5, 0.7) == milliseconds(1'000));
  CHECK(backoff_delay(p, 4'000'000'000u, 0.7) == milliseconds(1'000));  // no overflow after a long outage

  p.jitter = 0.5;  // the delay lies in [d/2, d]
  CHECK(backoff_delay(p, 3, 0.0) == milliseconds(400));
  CHECK(backoff_delay(p, 3, 0.5) == milliseconds(300));
  CHECK(backoff_delay(p, 3, 0.999) == milliseconds(200));
  p.jitter = 1.0;  // full jitter: anywhere in [0, d]
  CHECK(backoff_delay(p, 5, 0.25) == milliseconds(750));
  CHECK(backoff_delay(p, 5, 0.999) == milliseconds(1));
}

TEST_CASE("Retry-After: delay-seconds and the three HTTP-date forms", "[alerts][webhook]") {
  const std::int64_t new_year_1999 = 946684799;  // Fri, 31 Dec 1999 23:59:59 GMT, RFC 9110's example date
  const std::int64_t now = new_year_1999 - 30;
  CHECK(parse_retry_after("120", now) == seconds(120));  // RFC 9110 §10.2.3's example
  CHECK(parse_retry_after("0", now) == seconds(0));
  CHECK(parse_retry_after(" 7 \r\n", now) == seconds(7));  // optional whitespace, as a header callback hands it
  CHECK(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", now) == seconds(30));   // IMF-fixdate
  CHECK(parse_retry_after("Friday, 31-Dec-99 23:59:59 GMT", now) == seconds(30));  // obsolete RFC 850
  CHECK(parse_retry_after("Fri Dec 31 23:59:59 1999", now) == seconds(30));        // obsolete asctime
  CHECK(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", new_year_1999 + 3600) == seconds(0));  // past: now
  CHECK(parse_retry_after("99999999999999999999999999", now) >= seconds(86'400));  // absurd: long (the sink caps it)

  for (const char* bad : {"", "   ", "soon", "-5", "1.5", "5s", "0x10"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(parse_retry_after(bad, now).has_value());
  }
}
