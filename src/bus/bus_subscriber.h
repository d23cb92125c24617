#pragma once
// An instance's inbound side of the fleet's bus (issue 25): what the other instances
// say (their heartbeats and calls for the wallboard), on a NATS connection of its own.
// Handlers run on nats.c's delivery thread for the connection, one message at a time:
// they must only copy and hand off.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus_connection.h"

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

  const ConnectionState& connection_state() const noexcept { return state_; }

  struct Subscription;

 private:
  ConnectionState state_;
  __natsConnection* connection_ = nullptr;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
};

}  // namespace tw::bus
