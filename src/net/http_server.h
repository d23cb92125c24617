#pragma once
// The server's sockets: one HTTP/WebSocket listener (optionally TLS) and any number
// of raw TCP listeners, on Boost.Asio event loops: one per network thread, each
// connection on one loop for its life (taken in turn), so its handlers run one at a
// time without a strand. Plain HTTP requests go to one handler; WebSocket upgrades
// go to the route for their path; TCP connections to their listener's opener.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection_handler.h"

namespace tw::net {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";   ///< HTTP and WebSocket; port 0 picks a free one
  std::string tls_cert_file, tls_key_file; ///< both set: the listener speaks TLS only (https, wss)
  unsigned io_threads = 1;                 ///< network threads, each running its own event loop
  HttpHandler http;                        ///< plain requests
  std::vector<WebSocketRoute> websockets;
  std::vector<TcpRoute> tcp;
  double handshake_timeout_s = 10.0;       ///< HTTP request or TLS/WebSocket handshake must complete in this time
  std::size_t max_request_body_bytes = 64 * 1024;
  /// Connections each listener (the HTTP one, each TCP one) holds at once; past it a
  /// new connection is closed as soon as it is accepted (HTTP: after a 503). 0: no limit.
  std::size_t max_connections = 0;
  /// The same, per listener and remote IP address. 0: no limit.
  std::size_t max_connections_per_address = 0;
  /// When accept fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
  /// ENOMEM) the listener waits this long before it tries again, instead of
  /// spinning on a connection it cannot take.
  double accept_backoff_s = 0.1;
};

class HttpServer {
 public:
  /// Binds every listener. Throws std::runtime_error naming the address on failure
  /// (in use, not an address, permission), and std::invalid_argument for a TLS
  /// certificate or key that cannot be loaded.
  explicit HttpServer(ServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Starts the I/O threads and returns.
  void start();
  /// Stops accepting new connections; open ones go on.
  void stop_accepting();
  /// Closes every open connection (WebSocket close 1001 "going away"), then stops the
  /// event loop and joins the I/O threads.
  void stop();

  /// The port the HTTP listener got (useful with port 0), and each TCP listener's.
  std::uint16_t http_port() const noexcept;
  std::vector<std::uint16_t> tcp_ports() const;
  const NetStats& stats() const noexcept;
  /// WebSocket and TCP connection objects still in memory: the open ones and any
  /// still closing. Settles to stats().open_connections; more would be a leak.
  std::size_t connection_objects() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The status a request with this Transfer-Encoding value (all its fields joined
/// with ", ") must be refused with, or 0 to take it. RFC 9112 §6.3 item 4: a
/// request whose last transfer coding is not "chunked" has no knowable length:
/// 400, and the connection closes (its "body" would be read as the next request:
/// request smuggling). §6.1: a coding the server does not implement (anything but
/// chunked, applied once, §7): 501. Codings are case-insensitive (§7).
int refused_transfer_coding(std::string_view transfer_encoding);

/// "host:port" → (host, port). Throws std::invalid_argument with the text on a malformed address.
std::pair<std::string, std::uint16_t> parse_address(const std::string& address);

}  // namespace tw::net
