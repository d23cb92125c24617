#pragma once
// Where an accepted connection's life begins, one function per kind, compiled
// apart from the acceptors (http_sessions.cpp, tcp_session.cpp): http_server.cpp
// needs none of Beast's HTTP or WebSocket code, and the three compile side by side.
// Internal to the net layer.

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "net/connection_handler.h"
#include "net/connection_limits.h"
#include "net/connection_stream.h"
#include "net/session_registry.h"

namespace boost::asio::ssl {
class context;
}

namespace tw::net {
struct ServerConfig;
}

namespace tw::net::detail {

/// What an HTTP connection reads from the server it belongs to; the server outlives it.
struct HttpSessionContext {
  const ServerConfig& config;
  NetStats& stats;
  std::vector<std::unique_ptr<ConnectionLimits>>& route_limits;  ///< one per WebSocket route, in config order
  SessionRegistry& sessions;
  /// Where listeners (WebSocket routes with idle_by_ping: feeds) go once upgraded, or
  /// null: a loop apart from the media connections (see HttpServer).
  boost::asio::io_context* listener_loop = nullptr;
};

/// A plain HTTP connection, on its own loop: reads requests, upgrades to WebSocket routes.
void start_http_session(HttpSessionContext& context, ConnectionStream stream, std::shared_ptr<void> slot);
/// The TLS handshake (within config.handshake_timeout_s; a failure counted in
/// stats.tls_failures), then the same over TLS.
void start_https_session(HttpSessionContext& context, ConnectionStream stream, boost::asio::ssl::context& tls,
                         std::shared_ptr<void> slot);
/// A raw TCP connection (AudioSocket) for `route`, started on its own loop.
void start_tcp_session(ConnectionStream stream, const TcpRoute& route, NetStats& stats, SessionRegistry& sessions,
                       std::shared_ptr<void> slot);

/// "address:port" of the peer, or "?" when the socket has none (already reset).
inline std::string remote_of(const ConnectionSocket& socket) {
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace tw::net::detail
