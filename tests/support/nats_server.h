#pragma once
// A real NATS server with JetStream (Debian's nats-server) for the fleet-bus tests, on a
// free loopback port with its store in a folder of the test's, and a reader of what the
// instances published (through the NATS C client, as a wallboard would).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_command.h"

namespace tw::test {

/// The nats-server program (/usr/sbin is not on every user's PATH).
std::string nats_server_program();

class NatsServer {
 public:
  /// Starts nats-server -js on 127.0.0.1 on a free port, its JetStream store in
  /// `store_dir`, and waits until it accepts connections.
  explicit NatsServer(std::string store_dir);
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  /// Stops it (SIGTERM, then waits): a bus outage.
  void stop();
  /// Starts it again on the same port and store.
  void start();
  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string store_dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<BackgroundCommand> process_;
};

/// Every message of JetStream stream TONEWATCH_EVENTS on `url`, in stream order, as the
/// JSON of each, read until `count` have come or `timeout_s` has passed. Each object gets
/// "_subject" (the NATS subject) added.
std::vector<nlohmann::json> read_bus_events(const std::string& url, std::size_t count, double timeout_s);

/// The messages the stream holds now (its state), or -1 when it cannot be read.
long long bus_stream_message_count(const std::string& url);

/// The heartbeats (JSON) received on tonewatch.heartbeat.> during `seconds`.
std::vector<nlohmann::json> read_heartbeats(const std::string& url, double seconds);

}  // namespace tw::test
