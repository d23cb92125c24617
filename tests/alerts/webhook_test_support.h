#pragma once
// Shared by the webhook tests: a scratch spool directory per test, numbered events,
// and the check that a receiver got every event exactly once and in order.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "alerts/event.h"
#include "support/http_receiver.h"
#include "support/shared_data.h"

namespace tw::test {

/// A fresh directory under the run's scratch folder, removed afterwards.
class ScratchSpool {
 public:
  ScratchSpool() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(scratch_dir()) / ("webhook-spool-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
  }
  ~ScratchSpool() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchSpool(const ScratchSpool&) = delete;
  ScratchSpool& operator=(const ScratchSpool&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Event number `n` of call `call`: an alert when `alert`, an ordinary event otherwise.
inline alerts::Event numbered_event(const std::string& call, int n, bool alert = true) {
  alerts::Event e;
  e.call_id = call;
  e.time_s = 0.5 * n;
  e.since_s = 0.5 * n - 2.0;
  e.kind = alert ? alerts::EventKind::alert : alerts::EventKind::event;
  e.type = alert ? "supervisor_alert" : "interruption";
  e.severity = alert ? alerts::Severity::critical : alerts::Severity::info;
  e.message = "event " + std::to_string(n);
  e.details = {{"n", n}};
  return e;
}

/// Polls `done` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// The "sequence" field of a webhook request's body.
inline std::uint64_t sequence_of(const HttpRequest& r) { return nlohmann::json::parse(r.body).at("sequence").get<std::uint64_t>(); }

// What the receiver acknowledged with 2xx must be exactly `expected`, once each, in
// order, with increasing sequences and keys "<call>:<sequence>". Every request
// (answered or not) must carry the key matching its body, so a retry repeats the key.
inline void check_exactly_once_in_order(const std::vector<HttpRequest>& requests,
                                        const std::vector<alerts::Event>& expected) {
  std::map<std::string, int> accepted_per_key;
  std::vector<const HttpRequest*> accepted;
  for (const HttpRequest& r : requests) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/hook");
    CHECK(r.header("content-type") == "application/json");
    const nlohmann::json body = nlohmann::json::parse(r.body);
    CHECK(r.header("idempotency-key") == body.at("call").get<std::string>() + ":" + std::to_string(sequence_of(r)));
    if (r.status >= 200 && r.status <= 299) {
      ++accepted_per_key[r.header("idempotency-key")];
      accepted.push_back(&r);
    }
  }
  for (const auto& [key, count] : accepted_per_key) {
    INFO("key " << key);
    CHECK(count == 1);
  }
  REQUIRE(accepted.size() == expected.size());
  std::uint64_t last_sequence = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("delivery " << i);
    nlohmann::json body = nlohmann::json::parse(accepted[i]->body);
    const std::uint64_t sequence = body.at("sequence").get<std::uint64_t>();
    CHECK(sequence > last_sequence);
    last_sequence = sequence;
    body.erase("sequence");
    CHECK(body == alerts::to_json(expected[i]));
  }
}

}  // namespace tw::test
