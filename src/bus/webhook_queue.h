#pragma once
// The fleet's queue of events for webhooks (issue 25, "alerts delivered exactly once by
// the fleet, even when an instance dies"). Every instance publishes its alerts and their
// acknowledgements to the event stream (BusPublisher, subjects ending ".notify"); one
// durable JetStream pull consumer, shared by every instance, hands each of them to exactly
// one instance at a time, which delivers it to the webhooks and only then acknowledges it
// to JetStream. An instance that dies before that leaves the event unacknowledged, and
// JetStream gives it to another instance once `ack_wait` has passed.
//
// Order: the consumer lets one event out at a time (MaxAckPending 1), so receivers get the
// fleet's alerts in the order they reached the stream, as a lone instance sends its own.
// Exactly once: a receiver gets an event twice only when an instance dies between the
// receiver's 2xx and JetStream's acknowledgement; the Idempotency-Key (call:seq) is the
// same on both, as it is for a retried request.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "bus/bus_connection.h"

namespace tw::bus {

struct WebhookQueueConfig {
  BusEndpoint endpoint;
  std::string durable = "tonewatch-webhooks";  ///< the consumer's name, the same on every instance
  /// How long JetStream waits for an instance's acknowledgement before giving the event to
  /// another; the handler's still_working() renews it while a delivery goes on.
  std::chrono::seconds ack_wait{10};
  std::chrono::hours event_max_age{24};  ///< for the stream, when this instance makes it
  int stream_replicas = 1;               ///< likewise
  /// Delivers one event (its JSON): returns true when done (delivered, or refused for good)
  /// and false to have it offered again a little later (this instance is stopping). Calls
  /// still_working() more often than every ack_wait / 3 while it waits. On the queue's thread.
  /// `stopping()` turns true when the queue is asked to stop: the handler gives up then.
  std::function<bool(std::string_view event_json, const std::function<void()>& still_working,
                     const std::function<bool()>& stopping)>
      handle;
  std::function<void(std::string_view event, std::string_view message)> log;
};

struct WebhookQueueStats {
  std::atomic<std::uint64_t> handled{0};      ///< events delivered and acknowledged to JetStream
  std::atomic<std::uint64_t> redelivered{0};  ///< ... of which another instance had been given first
  std::atomic<std::uint64_t> returned{0};     ///< handed back (the handler said not now)
};

class WebhookQueue {
 public:
  explicit WebhookQueue(WebhookQueueConfig config);
  ~WebhookQueue();
  WebhookQueue(const WebhookQueue&) = delete;
  WebhookQueue& operator=(const WebhookQueue&) = delete;

  /// Starts its thread (tw-bus-hooks), which connects, finds or makes the stream and the
  /// consumer (retrying while the bus is away) and then takes events one at a time.
  void start();
  /// Stops taking events and joins the thread; an event being delivered is handed back first.
  void stop();
  /// True once stop() was asked: a handler waiting on a delivery gives up then.
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  const WebhookQueueStats& stats() const noexcept { return stats_; }

 private:
  void run();

  WebhookQueueConfig config_;
  WebhookQueueStats stats_;
  ConnectionState state_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tw::bus
