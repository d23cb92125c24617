#pragma once
// Core NATS request/reply, the asking side, without blocking the asker (issue 25: a
// wallboard's call view of a call another instance holds). The HTTP request that wants the
// answer runs on a network thread, which must never wait on the bus: request() returns at
// once, and `done` is called later, on nats.c's delivery thread with the answer, or on the
// requester's own timer thread when none came in time.
//
// One inbox subscription ("_INBOX.<id>.*") for every request, each request's reply
// subject a token under it (the pattern nats.c's own old-style requests use).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;

namespace tw::bus {

class BusRequester {
 public:
  enum class Outcome {
    answered,  ///< the reply is the answer's data
    timeout,   ///< nobody answered in time (the holder is stuck or too busy)
    no_responder,  ///< nobody listens on the subject (the server says so at once: NATS 2.2 "no responders")
    busy,      ///< too many requests waiting already (max_pending)
    no_bus,    ///< the connection is down or the request could not be sent
  };
  using Done = std::function<void(Outcome outcome, std::string reply)>;

  /// On `connection` (the fleet subscriber's; it must outlive this). Throws
  /// std::runtime_error when the inbox cannot be subscribed.
  explicit BusRequester(__natsConnection* connection, std::size_t max_pending = 64);
  /// Answers every request still waiting with `no_bus`, then stops: no `done` runs after.
  ~BusRequester();
  BusRequester(const BusRequester&) = delete;
  BusRequester& operator=(const BusRequester&) = delete;

  /// Answers every request still waiting with `no_bus`, and every later one at once: for a
  /// server that stops, before its network threads go. Idempotent; any thread.
  void close();

  /// Sends `data` to `subject`; `done` gets exactly one call: at once (busy, no_bus) or later.
  void request(const std::string& subject, const std::string& data, std::chrono::milliseconds timeout, Done done);

  std::size_t pending() const;

 private:
  static void on_reply(__natsConnection*, __natsSubscription*, __natsMsg* message, void* closure);
  void expire();

  struct Waiting {
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  __natsConnection* connection_;
  const std::size_t max_pending_;
  std::string inbox_;
  __natsSubscription* subscription_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Waiting> waiting_;
  std::uint64_t next_token_ = 1;
  bool stopping_ = false;
  std::thread timer_;
  std::promise<void> complete_;  // the inbox subscription's last handler has returned
};

}  // namespace tw::bus
