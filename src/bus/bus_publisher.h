#pragma once
// An instance's side of the fleet's bus (issue 25): every event of its calls goes to the
// NATS JetStream stream TONEWATCH_EVENTS (bus_subjects.h), and a heartbeat says once a
// second that the instance is alive.
//
// Off the analysis path: on_event runs on the event delivery thread (alerts::
// AsyncEventSink, through server::EventHub) and only copies the event's JSON into a
// bounded buffer; the publisher's own thread (tw-bus) publishes in order and waits for
// JetStream's acknowledgement of each. When the bus is unreachable the buffer holds what
// waits (counted; the oldest is dropped and counted when it is full) and the thread
// retries; when the bus is back the backlog drains in order. Each event carries its
// identity (call:sequence) as the JetStream message id, so that a publish retried after a
// lost acknowledgement is stored once (JetStream's duplicate window).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "bus/bus_connection.h"

namespace tw::bus {

/// Settings of the publisher.
struct BusConfig {
  /// NATS server URLs ("nats://host:4222", "tls://host:4222"); several for a cluster.
  std::vector<std::string> servers;
  std::string instance_id;  ///< bus_subjects.h valid_instance_id
  std::string creds_file;   ///< a NATS credentials file (user JWT and NKey seed); "" for none
  std::string tls_ca_file;  ///< the CA that signs the servers' certificates; implies TLS
  std::size_t max_buffered = 100000;  ///< events waiting for the bus; beyond: the oldest dropped, counted
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds publish_timeout{2000};  ///< waiting for one acknowledgement
  std::chrono::hours event_max_age{24};             ///< how long the stream keeps events
  int stream_replicas = 1;                          ///< copies of the stream, when this instance makes it
  /// Extra fields of each heartbeat (a JSON object's members, e.g. the instance's address
  /// and its call count), called on the publisher's thread; null: none.
  std::function<nlohmann::json()> heartbeat_fields;
  /// Other messages to send once a second with the heartbeat, on core NATS (subject, data):
  /// the instance's calls for the fleet's wallboard. Called on the publisher's thread.
  std::function<std::vector<std::pair<std::string, std::string>>()> each_second;
  /// Log lines (connection lost and back, the stream created); any thread, must not block.
  std::function<void(std::string_view event, std::string_view message)> log;
};

/// What the publisher did, for /metrics. Any thread.
struct BusStats {
  std::atomic<std::uint64_t> published{0};    ///< events JetStream acknowledged
  std::atomic<std::uint64_t> duplicates{0};   ///< ... of which it already had (a retried publish)
  std::atomic<std::uint64_t> dropped{0};      ///< events dropped: a full buffer, over the server's size limit, left at stop
  std::atomic<std::uint64_t> retries{0};      ///< publishes that failed and were tried again
  std::atomic<std::uint64_t> buffered{0};     ///< events waiting now
  std::atomic<std::uint64_t> heartbeats{0};   ///< heartbeats sent
};

class BusPublisher final : public alerts::EventSink {
 public:
  /// Checks the configuration (throws std::invalid_argument naming the field); starts nothing.
  explicit BusPublisher(BusConfig config);
  /// stop() with no time to drain.
  ~BusPublisher() override;
  BusPublisher(const BusPublisher&) = delete;
  BusPublisher& operator=(const BusPublisher&) = delete;

  /// Starts connecting and the publisher's thread. An unreachable server is not an error:
  /// the connection is retried in the background while events wait. Throws
  /// std::runtime_error for what cannot get better by waiting (an unreadable credentials
  /// or CA file, a malformed URL).
  void start();
  /// Publishes what is buffered for up to `drain`, then closes the connection and joins the
  /// thread; what is left is counted as dropped. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(0));

  /// The event delivery thread: copies the event's JSON into the buffer. Never blocks on
  /// the bus and never throws.
  void on_event(const alerts::Event& event) noexcept override;

  /// Sends one core NATS message now (an acknowledgement for the instance holding the
  /// alert): not kept, not retried. False when it could not be handed to the connection.
  /// Between start() and stop(), from any thread (nats.c connections are thread-safe).
  bool send(const std::string& subject, const std::string& data);

  const BusStats& stats() const noexcept { return stats_; }
  /// Connected now, and how often the connection was lost.
  const ConnectionState& connection_state() const noexcept { return state_; }
  const std::string& instance_id() const noexcept { return config_.instance_id; }

  struct Connection;  ///< the nats.c side (bus_publisher.cpp)

 private:
  struct Pending {
    std::string subject, message_id, data;
  };
  enum class Outcome { published, retry, undeliverable };
  void run();
  /// One attempt; `why` says what went wrong when it was not published.
  Outcome publish(const Pending& pending, std::string& why);
  void each_second();
  void log(std::string_view event, std::string_view message) const;

  BusConfig config_;
  const std::string run_id_;  // this run's part of each message id (bus_subjects.h event_message_id)
  BusStats stats_;
  ConnectionState state_;
  std::unique_ptr<Connection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> buffer_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_until_{};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace tw::bus
