#pragma once
// What the network layer asks of whoever handles a connection, and what it offers
// back. The net layer knows sockets, HTTP and WebSocket framing; it knows nothing
// of any telephony protocol or of tonewatch's calls (the prometheus-cpp shape:
// its core knows nothing of HTTP, its exposer links the web server privately).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw::net {

/// An HTTP request as handlers see it. Header names are lower-case.
struct Request {
  std::string method;
  std::string target;  ///< path and query as sent
  std::string path;    ///< target before '?', percent-decoding not applied
  std::string query;   ///< after '?', or empty
  std::map<std::string, std::string> headers;
  std::string body;
  std::string remote;  ///< peer address:port
  bool tls = false;
  /// A query parameter's value (percent-decoded), or empty.
  std::string query_param(std::string_view name) const;
  /// A header's value, or empty.
  std::string header(const std::string& lower_case_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set: the answer comes later (from another instance over the fleet's bus, say), and
  /// the rest of this response is ignored. The connection calls it with `reply`, which
  /// takes the real response from any thread, once; a network thread never waits for it.
  /// Whoever sets it must make sure `reply` is called (a timeout of its own).
  std::function<void(std::function<void(Response)> reply)> deferred;
  static Response text(int status, std::string body);
  static Response json(int status, std::string body);
};

/// How a handler talks back on its connection. Thread-safe: calls are posted to the
/// connection's event loop. Outgoing messages wait in a bounded queue; when it is full
/// the message is dropped and counted (a slow reader never holds up the server).
class Outbox {
 public:
  virtual ~Outbox() = default;
  /// Queues a WebSocket text message (or, on a TCP connection, bytes). False if dropped.
  virtual bool send(std::string message) = 0;
  /// Closes the connection with a WebSocket close code and reason (TCP: just closes).
  virtual void close(std::uint16_t code, std::string reason) = 0;
  /// Messages dropped because the queue was full.
  virtual std::uint64_t dropped() const noexcept = 0;
  /// Hands `request` to the connection's handler (ConnectionHandler::on_request) on
  /// the connection's loop, if the connection is still open: how the rest of the
  /// server asks a protocol to act (an AudioHook stream to pause, say). WebSocket
  /// connections only; elsewhere the request is ignored.
  virtual void request(std::string request) { (void)request; }
};

/// What to do after a message.
struct Verdict {
  bool close = false;
  std::uint16_t code = 1000;
  std::string reason;
  static Verdict keep() { return {}; }
  static Verdict closing(std::uint16_t code, std::string reason) { return {true, code, std::move(reason)}; }
};

/// One per WebSocket or TCP connection, called on that connection's event loop only.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual Verdict on_text(std::string_view message) {
    (void)message;
    return Verdict::closing(1003, "text messages are not accepted here");
  }
  /// A binary WebSocket message, or bytes read from a TCP connection.
  virtual Verdict on_binary(std::span<const std::uint8_t> message) {
    (void)message;
    return Verdict::closing(1003, "binary messages are not accepted here");
  }
  /// A request from elsewhere in the server (Outbox::request), on the connection's loop.
  virtual Verdict on_request(std::string_view request) {
    (void)request;
    return Verdict::keep();
  }
  /// The connection is gone; `clean` if it closed by the protocol's handshake.
  virtual void on_closed(bool clean) { (void)clean; }
  /// For TCP connections: protocol messages completed so far. The idle timeout counts
  /// from the last change, so a peer that trickles bytes without finishing a message
  /// is cut off. (WebSocket messages are counted by the net layer itself.)
  virtual std::uint64_t completed_messages() const noexcept { return 0; }
};

/// Decides whether to take a WebSocket upgrade on a path. Returns the handler, or
/// null with `refusal` filled in (401, 403, 503 ...).
using WebSocketOpener =
    std::function<std::unique_ptr<ConnectionHandler>(const Request& request, std::shared_ptr<Outbox> outbox, Response& refusal)>;
/// Takes a TCP connection (AudioSocket); null refuses it (the reason is logged by the handler's owner).
using TcpOpener = std::function<std::unique_ptr<ConnectionHandler>(const std::string& remote, std::shared_ptr<Outbox> outbox)>;
/// Answers a plain HTTP request.
using HttpHandler = std::function<Response(const Request& request)>;

struct WebSocketRoute {
  std::string path;                      ///< exact path, e.g. "/twilio"
  WebSocketOpener open;
  std::size_t max_message_bytes = 1 << 20;
  bool permessage_deflate = true;        ///< offer RFC 7692 compression if the client asks
  double idle_timeout_s = 30.0;          ///< no complete message for this long closes the connection
  std::size_t outbox_messages = 256;     ///< bounded outgoing queue
  /// For listeners (feeds): the peer sends nothing, so idleness is answered pings
  /// instead of messages. A ping goes out after idle_timeout_s / 2 of silence;
  /// nothing received, not even the pong every WebSocket client owes (RFC 6455
  /// §5.5.2), for idle_timeout_s closes the connection. A reader that stopped
  /// reading, or a socket opened only to hold a slot, cannot answer.
  bool idle_by_ping = false;
  std::size_t max_connections = 0;       ///< open at once on this path (0: no limit); more get 503
};

struct TcpRoute {
  std::string address;                   ///< host:port to listen on
  TcpOpener open;
  double idle_timeout_s = 30.0;          ///< no complete message for this long closes the connection
  std::size_t max_read_bytes = 64 * 1024;
};

/// Connection counts the net layer keeps (atomics; read from any thread).
struct NetStats {
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> websocket_accepted{0};
  std::atomic<std::uint64_t> websocket_refused{0};
  std::atomic<std::uint64_t> tcp_accepted{0};
  std::atomic<std::uint64_t> tcp_refused{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> protocol_errors{0};   ///< bad HTTP, bad WebSocket frames, oversize messages
  std::atomic<std::uint64_t> tls_failures{0};
  std::atomic<std::uint64_t> open_connections{0};
  std::atomic<std::uint64_t> outbox_dropped{0};
  std::atomic<std::uint64_t> refused_listener_full{0};  ///< a listener at ServerConfig::max_connections
  std::atomic<std::uint64_t> refused_address_full{0};   ///< a remote address at max_connections_per_address
  std::atomic<std::uint64_t> refused_route_full{0};     ///< a WebSocket path at its route's max_connections
  std::atomic<std::uint64_t> accept_backoffs{0};        ///< accepts that failed for want of descriptors or memory (then a pause)
};

}  // namespace tw::net
