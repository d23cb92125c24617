#pragma once
// One HTTP connection (plain or TLS): requests in turn until it upgrades to a
// WebSocket or closes. Internal to the net layer: http_sessions.cpp instantiates it.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <unistd.h>

#include "net/connection_starts.h"
#include "net/http_server.h"
#include "net/websocket_session.h"
#include "text/ascii.h"

namespace tw::net::detail {

/// The request a handler sees, from Beast's: repeated headers joined with ", "
/// (RFC 9110 §5.3), names lower-cased.
inline Request to_request(const http::request<http::string_body>& req, const std::string& remote, bool tls) {
  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  const std::size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? std::string() : r.target.substr(q + 1);
  for (const auto& field : req) {
    const auto field_name = field.name_string();  // Boost 1.74: boost::string_view
    std::string name = text::ascii_lowered(std::string_view(field_name.data(), field_name.size()));
    auto [it, inserted] = r.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  r.body = req.body();
  r.remote = remote;
  r.tls = tls;
  return r;
}

/// One HTTP connection: requests in turn until it upgrades to a WebSocket or closes.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(HttpSessionContext& context, Stream&& stream, bool tls, std::shared_ptr<void> slot)
      : context_(context), stream_(std::move(stream)), tls_(tls), slot_(std::move(slot)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::read, this->shared_from_this()));
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(context_.config.max_request_body_bytes);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(context_.config.handshake_timeout_s)));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return close();
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted) {
        context_.stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      }
      return close();
    }
    http::request<http::string_body> req = parser_->release();
    // Beast frames a request by Content-Length or a final "chunked" only; any other
    // Transfer-Encoding left the body unread, to be parsed as the next request.
    std::string transfer_encoding;
    for (auto [it, end] = req.equal_range(http::field::transfer_encoding); it != end; ++it) {
      transfer_encoding += (transfer_encoding.empty() ? "" : ", ") + std::string(it->value());
    }
    if (req.count(http::field::transfer_encoding) > 0) {
      if (const int status = refused_transfer_coding(transfer_encoding); status != 0) {
        context_.stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        return respond(Response::text(status, status == 400 ? "bad request: the body's length is unknown (Transfer-Encoding " +
                                                                  transfer_encoding + ")\n"
                                                            : "transfer coding not implemented: " + transfer_encoding + "\n"),
                       req.version(), false);
      }
    }
    const std::string remote = remote_of(beast::get_lowest_layer(stream_).socket());
    Request request = to_request(req, remote, tls_);
    if (websocket::is_upgrade(req)) {
      for (std::size_t i = 0; i < context_.config.websockets.size(); ++i) {
        const WebSocketRoute& route = context_.config.websockets[i];
        if (route.path != request.path) continue;
        ConnectionLimits::Refusal why = ConnectionLimits::Refusal::none;
        std::shared_ptr<void> route_slot = context_.route_limits[i]->acquire({}, why);
        if (!route_slot) {
          context_.stats.refused_route_full.fetch_add(1, std::memory_order_relaxed);
          context_.stats.websocket_refused.fetch_add(1, std::memory_order_relaxed);
          return respond(Response::text(503, "too many connections to " + route.path + " (" +
                                                 std::to_string(route.max_connections) + ")\n"),
                         req.version(), false);
        }
        if (route.idle_by_ping && move_to_listener_loop(route, req, request, route_slot)) return;
        auto session = std::make_shared<WebSocketSession<Stream>>(std::move(stream_), route, context_.stats,
                                                                          context_.sessions);
        session->hold(std::move(slot_));
        session->hold(std::move(route_slot));
        session->start(std::move(req), std::move(request));
        return;
      }
      return respond(Response::text(404, "no WebSocket endpoint at " + request.path + "\n"), req.version(), false);
    }
    context_.stats.http_requests.fetch_add(1, std::memory_order_relaxed);
    Response response = context_.config.http ? context_.config.http(request) : Response::text(404, "not found\n");
    if (response.deferred) {
      // The answer comes from elsewhere: this connection reads nothing more until it is
      // written, on this connection's loop, whichever thread brings it.
      auto executor = stream_.get_executor();
      response.deferred([self = this->shared_from_this(), executor, version = req.version(), keep_alive = req.keep_alive(),
                         once = std::make_shared<std::atomic<bool>>(false)](Response later) {
        if (once->exchange(true)) return;
        asio::post(executor, [self, later = std::move(later), version, keep_alive] { self->respond(later, version, keep_alive); });
      });
      return;
    }
    respond(response, req.version(), req.keep_alive());
  }

  // A listener (a feed) goes on the listeners' loop (HttpSessionContext::listener_loop),
  // apart from the media connections, with the upgrade request read here: its socket
  // leaves this loop and the WebSocket session starts there. Plain connections only
  // (a TLS stream's state is not moved) and only with nothing read past the request
  // (a client may send frames only after the 101). False: it stays on this loop.
  bool move_to_listener_loop(const WebSocketRoute& route, http::request<http::string_body>& req, Request& request,
                             std::shared_ptr<void>& route_slot) {
    if constexpr (!std::is_same_v<Stream, ConnectionStream>) {
      return false;
    } else {
      if (context_.listener_loop == nullptr || buffer_.size() != 0) return false;
      boost::system::error_code ec;
      auto& socket = beast::get_lowest_layer(stream_).socket();
      const auto protocol = socket.local_endpoint(ec).protocol();
      if (ec) return false;
      const auto handle = socket.release(ec);  // cancels nothing: no operation is pending on it now
      if (ec) return false;
      ConnectionSocket moved(context_.listener_loop->get_executor());
      moved.assign(protocol, handle, ec);
      if (ec) {
        ::close(handle);  // neither loop owns it: the connection ends
        return true;
      }
      asio::post(context_.listener_loop->get_executor(),
                 [&context = context_, &route, stream = std::make_shared<ConnectionStream>(std::move(moved)),
                  slot = std::move(slot_), route_slot = std::move(route_slot), req = std::move(req),
                  request = std::move(request)]() mutable {
                   auto session = std::make_shared<WebSocketSession<ConnectionStream>>(std::move(*stream), route,
                                                                                       context.stats, context.sessions);
                   session->hold(std::move(slot));
                   session->hold(std::move(route_slot));
                   session->start(std::move(req), std::move(request));
                 });
      return true;
    }
  }

  void respond(const Response& response, unsigned version, bool keep_alive) {
    // The write gets its own time (a deferred answer may have come after the read's ran out).
    beast::get_lowest_layer(stream_).expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(context_.config.handshake_timeout_s)));
    auto res = std::make_shared<http::response<http::string_body>>(to_beast(response, version, keep_alive));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      if (ec || !keep_alive) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }

  HttpSessionContext& context_;
  Stream stream_;
  bool tls_;
  std::shared_ptr<void> slot_;  // the listener's count of this connection (passed on at an upgrade)
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace tw::net::detail
