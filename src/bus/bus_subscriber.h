#pragma once
// An instance's inbound side of the fleet's bus (issue 25): what the other instances
// say (their heartbeats and calls for the wallboard) and ask (a call view of a call this
// instance holds), on a NATS connection of its own.
// Handlers run on nats.c's delivery thread for the connection, one message at a time:
// they must only copy and hand off.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus_connection.h"

struct __natsMsg;

namespace tw::bus {

class BusSubscriber {
 public:
  using Handler = std::function<void(std::string_view subject, std::string_view data)>;

  /// Connects (in the background when the bus is unreachable; see open_connection).
  explicit BusSubscriber(const BusEndpoint& endpoint);
  /// Unsubscribes and closes; no handler runs after it returns.
  ~BusSubscriber();
  BusSubscriber(const BusSubscriber&) = delete;
  BusSubscriber& operator=(const BusSubscriber&) = delete;

  /// Core NATS subscription to `subject` (wildcards allowed). Kept across reconnects by
  /// nats.c. Throws std::runtime_error when it cannot be made. Before any message flows.
  void subscribe(const std::string& subject, Handler handler);

  /// Core NATS request/reply, the answering side: each request on `subject` gets what
  /// `answer` returns for its data, published to the request's reply subject (a request
  /// without one is dropped). Runs on nats.c's thread for this subscription.
  using Answer = std::function<std::string(std::string_view data)>;
  void answer(const std::string& subject, Answer answer);

  /// The largest message the bus takes (its server's max_payload; 0 before the first connect).
  std::int64_t max_payload() const;
  /// The connection, for a BusRequester that shares it.
  __natsConnection* connection() const noexcept { return connection_; }

  const ConnectionState& connection_state() const noexcept { return state_; }

  struct Subscription;

 private:
  void subscribe_raw(const std::string& subject, std::function<void(__natsMsg*)> handler);

  ConnectionState state_;
  __natsConnection* connection_ = nullptr;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
};

}  // namespace tw::bus
