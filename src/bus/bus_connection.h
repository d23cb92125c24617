#pragma once
// One NATS connection of an instance, made from the bus settings (servers, credentials,
// TLS), reconnecting for ever: the publisher has one and the subscriber one, so that a
// burst of inbound fleet messages never waits behind outbound publishes (each nats.c
// connection has its own socket, flusher and delivery thread).

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

struct __natsConnection;

namespace tw::bus {

/// Where the bus is and how to reach it.
struct BusEndpoint {
  std::vector<std::string> servers;  ///< nats://host:port or tls://host:port
  std::string client_name;           ///< shown by the server (connz)
  std::string creds_file;            ///< a NATS credentials file; "" for none
  std::string tls_ca_file;           ///< CA of the servers' certificates; implies TLS
};

/// Connection state, updated from nats.c's threads. Any thread.
struct ConnectionState {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> disconnects{0};
  /// Set by nats.c's closed callback, the last one it queues for a connection: after it,
  /// no callback of the connection touches this state (close_connection waits for it).
  std::mutex closed_mutex;
  std::condition_variable closed_changed;
  bool closed = false;
};

/// Opens the connection. An unreachable server is not an error: nats.c goes on trying in
/// the background (RetryOnFailedConnect) and `state.connected` turns true when it is in.
/// Throws std::runtime_error for what waiting cannot mend (an unreadable credentials or CA
/// file, a malformed URL). `state` must outlive the connection.
__natsConnection* open_connection(const BusEndpoint& endpoint, ConnectionState& state);

/// Closes it, waits (up to 5 s) until nats.c has run its last callback for it, and frees
/// it (null is fine). `state` is the one it was opened with.
void close_connection(__natsConnection* connection, ConnectionState& state);

/// nats.c's text for its last error, for messages.
std::string last_error_text(int status);

}  // namespace tw::bus
