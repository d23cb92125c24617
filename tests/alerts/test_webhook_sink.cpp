// WebhookSink against a real HTTP receiver on 127.0.0.1: outages, restarts, the
// spool bound, permanent and transient failures, signatures, filters, several URLs,
// and a receiver that never answers. Backoffs are milliseconds so every case is quick.

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/hmac.h"
#include "alerts/webhook_sink.h"
#include "alerts/webhook_test_support.h"
#include "support/config_checks.h"
#include "support/http_receiver.h"

using namespace std::chrono_literals;
using tw::alerts::Event;
using tw::alerts::EventKind;
using tw::alerts::WebhookConfig;
using tw::alerts::WebhookFailure;
using tw::alerts::WebhookSink;
using tw::test::HttpReceiver;
using tw::test::HttpReply;
using tw::test::HttpRequest;
using tw::test::check_exactly_once_in_order;
using tw::test::eventually;
using tw::test::numbered_event;
using tw::test::sequence_of;
using tw::test::ScratchSpool;

namespace {

// Thread-safe collection of the sink's warnings.
struct LogLines {
  std::mutex mutex;
  std::vector<std::string> lines;
  bool contains(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const std::string& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

WebhookConfig fast_config(const ScratchSpool& dir, std::vector<std::string> urls, LogLines* log = nullptr) {
  WebhookConfig c;
  c.urls = std::move(urls);
  c.spool_directory = dir.path();
  c.connect_timeout = 2s;
  c.request_timeout = 5s;
  c.backoff = {5ms, 40ms, 0.5};
  c.log = [log](const std::string& line) {
    if (log == nullptr) return;
    std::lock_guard<std::mutex> lock(log->mutex);
    log->lines.push_back(line);
  };
  return c;
}

std::uint64_t failures(const WebhookSink& sink, WebhookFailure kind, std::size_t url = 0) {
  return sink.stats().urls.at(url).failures[static_cast<std::size_t>(kind)];
}

bool flushed(WebhookSink& sink) { return sink.flush(std::chrono::steady_clock::now() + 10s); }

}  // namespace

TEST_CASE("Webhook: a receiver down for the first half of the stream gets every alert exactly once in order",
          "[alerts][webhook]") {
  HttpReceiver receiver(false);
  ScratchSpool dir;
  WebhookSink sink(fast_config(dir, {receiver.url()}));
  std::vector<Event> alerts;
  for (int n = 0; n < 40; ++n) {
    if (n == 20) {
      // Halfway: the sender has been failing to connect and backing off; now the receiver comes up.
      REQUIRE(eventually([&] { return failures(sink, WebhookFailure::connect) >= 3; }));
      CHECK(receiver.requests().empty());
      receiver.up();
    }
    const Event e = numbered_event("call-1", n, n % 2 == 0);
    sink.on_event(e);
    if (e.kind == EventKind::alert) alerts.push_back(e);
  }
  REQUIRE(flushed(sink));
  const std::vector<HttpRequest> requests = receiver.requests();
  check_exactly_once_in_order(requests, alerts);
  CHECK(requests.size() == alerts.size());  // nothing timed out, so not even a legitimate duplicate

  const tw::alerts::WebhookStats stats = sink.stats();
  CHECK(stats.accepted == 20);
  CHECK(stats.filtered_out == 20);
  CHECK(stats.urls[0].delivered == 20);
  CHECK(stats.urls[0].retries >= 3);
  CHECK(stats.urls[0].depth.events == 0);
  CHECK(stats.spool.events == 0);
  CHECK(stats.urls[0].dropped_spool_full + stats.urls[0].dropped_rejected + stats.urls[0].dropped_gave_up == 0);
  CHECK(stats.urls[0].last_status == 200);
}

TEST_CASE("Webhook: an answer lost to a timeout is sent again with the same idempotency key and body",
          "[alerts][webhook]") {
  HttpReceiver receiver;
  // The first request is answered (200) only after the sink has given up waiting.
  receiver.set_handler([](const HttpRequest&, std::size_t index) {
    HttpReply reply;
    if (index == 0) reply.delay = 1500ms;
    return reply;
  });
  ScratchSpool dir;
  WebhookConfig config = fast_config(dir, {receiver.url()});
  config.request_timeout = 300ms;
  WebhookSink sink(config);
  for (int n = 0; n < 3; ++n) sink.on_event(numbered_event("call-7", n));
  REQUIRE(flushed(sink));

  const std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[0].header("idempotency-key") == "call-7:1");
  CHECK(requests[1].header("idempotency-key") == "call-7:1");
  CHECK(requests[1].body == requests[0].body);
  CHECK(requests[2].header("idempotency-key") == "call-7:2");
  CHECK(requests[3].header("idempotency-key") == "call-7:3");
  // The receiver answered 200 twice for key 1: the key is what lets it see the duplicate.
  std::set<std::string> distinct;
  for (const HttpRequest& r : requests) distinct.insert(r.header("idempotency-key"));
  CHECK(distinct.size() == 3);
  CHECK(failures(sink, WebhookFailure::timeout) == 1);
  CHECK(sink.stats().urls[0].delivered == 3);
  CHECK(sink.stats().urls[0].retries == 1);
}

TEST_CASE("Webhook: a new sink on the same spool resumes after a restart without loss or duplicate",
          "[alerts][webhook]") {
  HttpReceiver receiver;
  ScratchSpool dir;
  const WebhookConfig config = fast_config(dir, {receiver.url()});
  std::vector<Event> alerts;
  for (int n = 0; n < 13; ++n) alerts.push_back(numbered_event("call-2", n));
  {
    WebhookSink first(config);
    for (int n = 0; n < 4; ++n) first.on_event(alerts[n]);
    REQUIRE(flushed(first));
    receiver.down();
    for (int n = 4; n < 10; ++n) first.on_event(alerts[n]);
    REQUIRE(eventually([&] { return failures(first, WebhookFailure::connect) >= 1; }));
    CHECK_FALSE(first.flush(std::chrono::steady_clock::now() + 50ms));  // the deadline passes; they stay
    CHECK(first.stats().urls[0].depth.events == 6);
  }  // tonewatch stops while the receiver is down
  CHECK(receiver.requests().size() == 4);
  {
    WebhookSink second(config);
    CHECK(second.stats().urls[0].depth.events == 6);
    CHECK(second.stats().spool.events == 6);
    receiver.up();
    REQUIRE(flushed(second));
    for (int n = 10; n < 13; ++n) second.on_event(alerts[n]);
    REQUIRE(flushed(second));
    CHECK(second.stats().urls[0].delivered == 9);
  }
  const std::vector<HttpRequest> requests = receiver.requests();
  check_exactly_once_in_order(requests, alerts);
  CHECK(requests.size() == alerts.size());
  CHECK(sequence_of(requests.back()) == 13);
}

TEST_CASE("Webhook: a full spool drops the oldest alerts and counts them / the rest arrive in order",
          "[alerts][webhook]") {
  HttpReceiver receiver(false);
  ScratchSpool dir;
  std::vector<Event> alerts;
  std::vector<std::uint64_t> bytes;
  for (int n = 0; n < 12; ++n) {
    alerts.push_back(numbered_event("call-3", n));
    const std::uint64_t sequence = static_cast<std::uint64_t>(n) + 1;
    bytes.push_back(tw::alerts::webhook_idempotency_key("call-3", sequence).size() + 1 +
                    tw::alerts::webhook_body(alerts.back(), sequence).size());
  }
  WebhookConfig config = fast_config(dir, {receiver.url()});
  config.spool_max_bytes = bytes[7] + bytes[8] + bytes[9] + bytes[10] + bytes[11];  // exactly the last five
  WebhookSink sink(config);
  for (const Event& e : alerts) sink.on_event(e);

  tw::alerts::WebhookStats stats = sink.stats();
  CHECK(stats.urls[0].dropped_spool_full == 7);
  CHECK(stats.urls[0].depth.events == 5);
  CHECK(stats.spool.bytes == config.spool_max_bytes);
  receiver.up();
  REQUIRE(flushed(sink));
  check_exactly_once_in_order(receiver.requests(), std::vector<Event>(alerts.begin() + 7, alerts.end()));
  CHECK(sequence_of(receiver.requests().front()) == 8);
  stats = sink.stats();
  CHECK(stats.urls[0].delivered == 5);
  CHECK(stats.urls[0].dropped_spool_full == 7);
}

TEST_CASE("Webhook: a 400 is a permanent failure - logged and dropped and never retried", "[alerts][webhook]") {
  HttpReceiver receiver;
  receiver.set_handler([](const HttpRequest& r, std::size_t) {
    HttpReply reply;
    if (sequence_of(r) == 2) {
      reply.status = 400;
      reply.body = "missing field 'team'";
    }
    return reply;
  });
  ScratchSpool dir;
  LogLines log;
  WebhookSink sink(fast_config(dir, {receiver.url()}, &log));
  for (int n = 0; n < 4; ++n) sink.on_event(numbered_event("call-4", n));
  REQUIRE(flushed(sink));

  const std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(sequence_of(requests[i]) == i + 1);
  CHECK(requests[1].status == 400);
  const tw::alerts::WebhookUrlStats stats = sink.stats().urls[0];
  CHECK(stats.delivered == 3);
  CHECK(stats.dropped_rejected == 1);
  CHECK(stats.failures[static_cast<std::size_t>(WebhookFailure::rejected)] == 1);
  CHECK(stats.retries == 0);
  CHECK(log.contains("call-4:2"));
  CHECK(log.contains("missing field 'team'"));
}

TEST_CASE("Webhook: 503 with Retry-After / 429 / 500 are retried and Retry-After is waited out", "[alerts][webhook]") {
  HttpReceiver receiver;
  receiver.set_handler([](const HttpRequest&, std::size_t index) {
    HttpReply reply;
    if (index == 0) {
      reply.status = 503;
      reply.headers = {{"Retry-After", "1"}};
    } else if (index == 1) {
      reply.status = 429;
    } else if (index == 2) {
      reply.status = 500;
    }
    return reply;
  });
  ScratchSpool dir;
  WebhookSink sink(fast_config(dir, {receiver.url()}));
  sink.on_event(numbered_event("call-5", 0));
  sink.on_event(numbered_event("call-5", 1));
  REQUIRE(flushed(sink));

  const std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 5);
  for (std::size_t i = 0; i < 4; ++i) CHECK(requests[i].header("idempotency-key") == "call-5:1");
  CHECK(requests[4].header("idempotency-key") == "call-5:2");
  // The backoff alone is at most 40 ms: only Retry-After explains a second's wait.
  CHECK(requests[1].received_at - requests[0].received_at >= 1s);
  const tw::alerts::WebhookUrlStats stats = sink.stats().urls[0];
  CHECK(stats.failures[static_cast<std::size_t>(WebhookFailure::server_error)] == 2);
  CHECK(stats.failures[static_cast<std::size_t>(WebhookFailure::throttled)] == 1);
  CHECK(stats.retries == 3);
  CHECK(stats.delivered == 2);
  CHECK(stats.dropped_rejected == 0);
}

TEST_CASE("Webhook: max_attempts gives an event up after that many failures and counts it", "[alerts][webhook]") {
  HttpReceiver receiver;
  receiver.set_handler([](const HttpRequest&, std::size_t) { return HttpReply{500, {}, "", 0ms, false}; });
  ScratchSpool dir;
  WebhookConfig config = fast_config(dir, {receiver.url()});
  config.max_attempts = 3;
  WebhookSink sink(config);
  sink.on_event(numbered_event("call-6", 0));
  sink.on_event(numbered_event("call-6", 1));
  REQUIRE(flushed(sink));
  const std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) CHECK(sequence_of(requests[i]) == i / 3 + 1);
  const tw::alerts::WebhookUrlStats stats = sink.stats().urls[0];
  CHECK(stats.dropped_gave_up == 2);
  CHECK(stats.delivered == 0);
  CHECK(stats.retries == 4);
  CHECK(stats.depth.events == 0);
}

TEST_CASE("Webhook: signed with the secret / verifiable by the receiver and not with another secret",
          "[alerts][webhook][hmac]") {
  HttpReceiver receiver;
  ScratchSpool dir;
  WebhookConfig config = fast_config(dir, {receiver.url()});
  config.secret = "whsec_5up3rvisor";
  {
    WebhookSink sink(config);
    for (int n = 0; n < 3; ++n) sink.on_event(numbered_event("call-8", n));
    REQUIRE(flushed(sink));
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 3);
  for (const HttpRequest& r : requests) {
    const std::string timestamp = r.header("x-tonewatch-timestamp");
    const std::string signature = r.header("x-tonewatch-signature");
    CHECK(tw::alerts::verify_webhook_signature(config.secret, timestamp, r.body, signature));
    CHECK_FALSE(tw::alerts::verify_webhook_signature("whsec_other", timestamp, r.body, signature));
    CHECK(tw::alerts::webhook_timestamp_fresh(timestamp, now_s, 60));
    CHECK(r.header("user-agent").rfind("tonewatch/", 0) == 0);
  }

  // Without a secret nothing is signed.
  ScratchSpool unsigned_dir;
  WebhookSink sink(fast_config(unsigned_dir, {receiver.url()}));
  sink.on_event(numbered_event("call-8", 9));
  REQUIRE(flushed(sink));
  requests = receiver.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests.back().header("x-tonewatch-signature").empty());
  CHECK(requests.back().header("x-tonewatch-timestamp").empty());
}

TEST_CASE("Webhook: the filter passes alerts and acknowledgements by default and is configurable",
          "[alerts][webhook]") {
  Event alert = numbered_event("call-9", 1, true);
  Event interruption = numbered_event("call-9", 2, false);
  Event acknowledged = numbered_event("call-9", 3, false);
  acknowledged.type = std::string(tw::alerts::kAlertAcknowledgedType);
  acknowledged.details = {{"acknowledged_by", "sam"}, {"acknowledged_at", "2024-05-01T10:00:00Z"}};
  Event stage = numbered_event("call-9", 4, false);
  stage.type = "stage_change";
  const std::vector<Event> stream{alert, interruption, acknowledged, stage};

  const auto deliver = [&](const std::function<void(tw::alerts::WebhookFilter&)>& configure) {
    HttpReceiver receiver;
    ScratchSpool dir;
    WebhookConfig config = fast_config(dir, {receiver.url()});
    configure(config.filter);
    WebhookSink sink(config);
    for (const Event& e : stream) sink.on_event(e);
    REQUIRE(flushed(sink));
    CHECK(sink.stats().filtered_out + sink.stats().accepted == stream.size());
    return receiver.requests();
  };
  SECTION("default") {
    check_exactly_once_in_order(deliver([](tw::alerts::WebhookFilter&) {}), {alert, acknowledged});
  }
  SECTION("every event") {
    check_exactly_once_in_order(deliver([](tw::alerts::WebhookFilter& f) { f.all_events = true; }), stream);
  }
  SECTION("chosen types only") {
    check_exactly_once_in_order(deliver([](tw::alerts::WebhookFilter& f) {
                                  f.alerts = false;
                                  f.types = {"interruption", "stage_change"};
                                }),
                                {interruption, stage});
  }
}

TEST_CASE("Webhook: two URLs are independent and one down does not hold up the other", "[alerts][webhook]") {
  HttpReceiver down_receiver(false);
  HttpReceiver up_receiver;
  ScratchSpool dir;
  WebhookSink sink(fast_config(dir, {down_receiver.url(), up_receiver.url()}));
  std::vector<Event> alerts;
  for (int n = 0; n < 5; ++n) {
    alerts.push_back(numbered_event("call-10", n));
    sink.on_event(alerts.back());
  }
  REQUIRE(up_receiver.wait_for([](const std::vector<HttpRequest>& r) { return r.size() == 5 && r.back().status == 200; },
                               10s));
  REQUIRE(eventually([&] { return sink.stats().urls[1].depth.events == 0; }));
  REQUIRE(eventually([&] { return failures(sink, WebhookFailure::connect, 0) >= 2; }));
  tw::alerts::WebhookStats stats = sink.stats();
  CHECK(stats.urls[0].delivered == 0);
  CHECK(stats.urls[0].depth.events == 5);
  CHECK(stats.urls[1].delivered == 5);
  CHECK(stats.spool.events == 5);  // kept for the URL that is down

  down_receiver.up();
  REQUIRE(flushed(sink));
  check_exactly_once_in_order(up_receiver.requests(), alerts);
  check_exactly_once_in_order(down_receiver.requests(), alerts);
  // Same event, same sequence and key at both URLs.
  CHECK(up_receiver.requests()[2].header("idempotency-key") == down_receiver.requests()[2].header("idempotency-key"));
  CHECK(sink.stats().spool.events == 0);
}

TEST_CASE("Webhook: on_event does not wait for a receiver that never answers / stopping does not either",
          "[alerts][webhook]") {
  HttpReceiver receiver;
  receiver.set_handler([](const HttpRequest&, std::size_t) { return HttpReply{200, {}, "", 0ms, true}; });
  ScratchSpool dir;
  WebhookConfig config = fast_config(dir, {receiver.url()});
  config.request_timeout = 600s;  // only stopping can end the hung request
  std::vector<Event> alerts;
  for (int n = 0; n < 20; ++n) alerts.push_back(numbered_event("call-11", n));
  std::optional<WebhookSink> sink;
  sink.emplace(config);
  sink->on_event(alerts[0]);
  REQUIRE(receiver.wait_for([](const std::vector<HttpRequest>& r) { return r.size() == 1; }, 10s));
  // The sender is stuck in the network now; the other events are still taken at once.
  for (int n = 1; n < 20; ++n) sink->on_event(alerts[n]);
  CHECK(sink->stats().accepted == 20);
  CHECK(sink->stats().urls[0].depth.events == 20);
  CHECK(receiver.requests().size() == 1);
  CHECK(receiver.requests()[0].status == 0);  // still unanswered

  const auto stopping = std::chrono::steady_clock::now();
  sink.reset();
  const auto stop_time = std::chrono::steady_clock::now() - stopping;
  // A bound on a hang, not a timing target: stopping abandons the request instead of
  // waiting out the 600 s timeout.
  CHECK(stop_time < 10s);

  // The abandoned event was not lost: the next sink sends it again, same key.
  receiver.down();  // ends the hung exchange on the receiver's side
  receiver.set_handler(nullptr);
  receiver.up();
  WebhookSink next(config);
  REQUIRE(flushed(next));
  const std::vector<HttpRequest> requests = receiver.requests();
  REQUIRE(requests.size() == 21);
  CHECK(requests[0].status == 0);  // the abandoned attempt
  CHECK(requests[1].header("idempotency-key") == "call-11:1");
  CHECK(requests[1].body == requests[0].body);
  check_exactly_once_in_order(requests, alerts);
}

TEST_CASE("Webhook: idempotency keys escape what a header cannot carry", "[alerts][webhook]") {
  CHECK(tw::alerts::webhook_idempotency_key("call-1", 42) == "call-1:42");
  CHECK(tw::alerts::webhook_idempotency_key("a b\r\n%\xc3\xa9", 7) == "a%20b%0D%0A%25%C3%A9:7");
  CHECK(tw::alerts::webhook_idempotency_key("", 3) == ":3");
  Event e = numbered_event("call-1", 2);
  const nlohmann::json body = nlohmann::json::parse(tw::alerts::webhook_body(e, 42));
  CHECK(body.at("sequence") == 42);
  nlohmann::json without = body;
  without.erase("sequence");
  CHECK(without == tw::alerts::to_json(e));
  e.message = "bad \xff byte";  // invalid UTF-8 is replaced, not thrown on
  CHECK_NOTHROW(tw::alerts::webhook_body(e, 1));
}

TEST_CASE("Webhook: bad configuration rejected", "[alerts][webhook]") {
  ScratchSpool dir;
  const std::string url = "http://127.0.0.1:9/hook";
  const auto rejected = [&](const std::string& rule, const std::function<void(WebhookConfig&)>& change,
                            const std::string& field) {
    WebhookConfig c = fast_config(dir, {url});
    change(c);
    tw::test::check_rejected(rule, [&] { WebhookSink sink(c); }, field);
  };
  rejected("a URL", [](WebhookConfig& c) { c.urls.clear(); }, "urls");
  rejected("http or https", [](WebhookConfig& c) { c.urls = {"ftp://example.com/x"}; }, "ftp://example.com/x");
  rejected("an absolute URL", [](WebhookConfig& c) { c.urls = {"/hook"}; }, "/hook");
  rejected("distinct URLs", [&](WebhookConfig& c) { c.urls = {url, url}; }, "twice");
  rejected("a spool directory", [](WebhookConfig& c) { c.spool_directory.clear(); }, "spool_directory");
  rejected("a spool bound", [](WebhookConfig& c) { c.spool_max_bytes = 0; }, "spool_max_bytes");
  rejected("a connect timeout", [](WebhookConfig& c) { c.connect_timeout = 0ms; }, "connect_timeout");
  rejected("a request timeout", [](WebhookConfig& c) { c.request_timeout = -1ms; }, "request_timeout");
  rejected("an initial backoff", [](WebhookConfig& c) { c.backoff.initial = 0ms; }, "backoff.initial");
  rejected("max backoff >= initial", [](WebhookConfig& c) { c.backoff.max = 1ms; }, "backoff.max");
  rejected("jitter in 0..1", [](WebhookConfig& c) { c.backoff.jitter = 1.5; }, "backoff.jitter");
  rejected("jitter a number", [](WebhookConfig& c) { c.backoff.jitter = std::nan(""); }, "backoff.jitter");
  rejected("Retry-After cap", [](WebhookConfig& c) { c.retry_after_max = -1ms; }, "retry_after_max");
  rejected("at least one attempt", [](WebhookConfig& c) { c.max_attempts = 0u; }, "max_attempts");
}
