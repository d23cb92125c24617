#pragma once
// One WebSocket connection (plain or TLS), after the HTTP upgrade request has been
// read: accept or refuse, then read messages into the handler and write the
// outbox, on the connection's event loop. Internal to the net layer.

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "net/connection_handler.h"
#include "net/connection_stream.h"
#include "net/session_registry.h"

namespace tw::net::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

/// Turns a handler's Response into a Beast response.
inline http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "tonewatch");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

template <class Stream>
class WebSocketSession final : public Outbox, public Closable, public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream&& stream, const WebSocketRoute& route, NetStats& stats, SessionRegistry& registry)
      : ws_(std::move(stream)), route_(route), stats_(stats), registry_(registry), timer_(ws_.get_executor()) {}

  ~WebSocketSession() override {
    if (registry_id_ != 0) registry_.remove(registry_id_);
  }

  /// Keeps `slot` (a connection count, ConnectionLimits) as long as the session lives.
  void hold(std::shared_ptr<void> slot) {
    if (slot) slots_.push_back(std::move(slot));
  }

  /// Decides on the upgrade; accepts it or answers with the refusal.
  void start(http::request<http::string_body> upgrade, Request request) {
    registry_id_ = registry_.add(this->weak_from_this());
    Response refusal = Response::text(403, "refused\n");
    handler_ = route_.open(request, std::shared_ptr<Outbox>(this->shared_from_this(), this), refusal);
    if (!handler_) {
      stats_.websocket_refused.fetch_add(1, std::memory_order_relaxed);
      auto res = std::make_shared<http::response<http::string_body>>(to_beast(refusal, upgrade.version(), false));
      http::async_write(ws_.next_layer(), *res, [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      });
      return;
    }
    // Our own idle rule replaces the stream's timer (Beast: websocket streams use their own timeouts).
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    if (route_.idle_by_ping) {
      // Beast pings after half the idle time without a frame from the peer and fails
      // the pending read with beast::error::timeout if nothing came by the full time.
      timeouts.idle_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(route_.idle_timeout_s));
      timeouts.keep_alive_pings = true;
    }
    ws_.set_option(timeouts);
    websocket::permessage_deflate deflate;
    deflate.server_enable = route_.permessage_deflate;
    ws_.set_option(deflate);
    ws_.read_message_max(route_.max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "tonewatch"); }));
    ws_.async_accept(upgrade, beast::bind_front_handler(&WebSocketSession::on_accept, this->shared_from_this()));
  }

  // ---- Outbox: any thread -------------------------------------------------------------
  bool send(std::string message) override {
    if (queued_.load(std::memory_order_relaxed) >= route_.outbox_messages) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      stats_.outbox_dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queued_.fetch_add(1, std::memory_order_relaxed);
    // From the connection's own loop (a reply the handler sends while it reads a
    // message) the message joins the queue at once, so a close the same read asks
    // for finds it there and goes out after it; from any other thread it is posted.
    if (ws_.get_executor().running_in_this_thread()) {
      enqueue(std::move(message));
    } else {
      asio::post(ws_.get_executor(),
                 [self = this->shared_from_this(), m = std::move(message)]() mutable { self->enqueue(std::move(m)); });
    }
    return true;
  }
  /// Closes once every message queued before it has been written (a protocol's last
  /// word — AudioHook's closed or disconnect — precedes the close frame on the wire).
  void close(std::uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), code, r = std::move(reason)] { self->close_when_flushed(code, r); });
  }
  std::uint64_t dropped() const noexcept override { return dropped_.load(std::memory_order_relaxed); }
  void request(std::string request) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), r = std::move(request)] {
      // Only an open connection's handler takes requests (after finished() it is gone).
      if (self->finished_ || self->closing_ || self->close_pending_ || !self->accepted_ || !self->handler_) return;
      const Verdict verdict = self->handler_->on_request(r);
      if (verdict.close) self->close_when_flushed(verdict.code, verdict.reason);
    });
  }
  void go_away() override { close(1001, "server going away"); }
  void abort() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);  // the pending read fails: finished()
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) {
      stats_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      finished(false);
      return;
    }
    stats_.websocket_accepted.fetch_add(1, std::memory_order_relaxed);
    stats_.open_connections.fetch_add(1, std::memory_order_relaxed);
    counted_open_ = true;
    accepted_ = true;
    last_message_ = std::chrono::steady_clock::now();
    if (!route_.idle_by_ping) arm_timer();  // else Beast's own timer (no wake-up a second per listener)
    read_next();
    // What the handler sent while the handshake was under way goes out now.
    if (!writing_) write_next();
  }

  void read_next() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == beast::error::timeout && accepted_ && !closing_) stats_.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
      const bool clean = ec == websocket::error::closed;
      if (!clean && ec != asio::error::operation_aborted && !closing_) {
        stats_.protocol_errors.fetch_add(ec == websocket::error::message_too_big ? 1 : 0, std::memory_order_relaxed);
      }
      finished(clean || closing_);
      return;
    }
    last_message_ = std::chrono::steady_clock::now();
    if (close_pending_) {  // the handler asked to close: what the peer sends meanwhile is not read
      buffer_.consume(buffer_.size());
      read_next();
      return;
    }
    const auto data = buffer_.cdata();
    Verdict verdict;
    if (ws_.got_text()) {
      verdict = handler_->on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
    } else {
      verdict = handler_->on_binary(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data.data()), data.size()));
    }
    buffer_.consume(buffer_.size());
    if (verdict.close) {
      // The handler's replies to this message are queued already (send() on this
      // loop queues at once): they are written first, then the close frame.
      close_when_flushed(verdict.code, verdict.reason);
      // Keep reading: the peer's close frame ends the session.
    }
    if (!finished_) read_next();
  }

  void enqueue(std::string message) {
    if (finished_ || closing_) {  // the close frame has gone: nothing may follow it
      queued_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    outq_.push_back(std::move(message));
    if (!writing_) write_next();
  }

  // Closes now if nothing waits to be written, else after the last queued write.
  void close_when_flushed(std::uint16_t code, const std::string& reason) {
    if (closing_ || finished_ || close_pending_) return;
    if (writing_ || !outq_.empty() || !accepted_) {
      close_pending_ = true;
      pending_code_ = code;
      pending_reason_ = reason;
      pending_since_ = std::chrono::steady_clock::now();
      return;
    }
    do_close(code, reason);
  }

  void write_next() {
    if (!accepted_ || outq_.empty() || closing_ || finished_) {
      writing_ = false;
      if (close_pending_ && accepted_ && outq_.empty() && !closing_ && !finished_) {
        close_pending_ = false;
        do_close(pending_code_, pending_reason_);
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(outq_.front()), beast::bind_front_handler(&WebSocketSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    outq_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    if (ec) {
      writing_ = false;
      return;  // the read side sees the failure and ends the session
    }
    write_next();
  }

  void do_close(std::uint16_t code, const std::string& reason) {
    if (closing_ || finished_) return;
    closing_ = true;
    timer_.cancel();
    // A reason is at most 123 bytes (RFC 6455 §5.5: control frame payload <= 125).
    websocket::close_reason why;
    why.code = code;
    why.reason = reason.substr(0, 123);
    ws_.async_close(why, [self = this->shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
  }

  void arm_timer() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_ || self->finished_) return;
      // A close waiting for writes a peer does not read is given 5 s, then the socket goes.
      if (self->close_pending_ && std::chrono::steady_clock::now() - self->pending_since_ > std::chrono::seconds(5)) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
        return;
      }
      const double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - self->last_message_).count();
      if (idle > self->route_.idle_timeout_s) {
        self->stats_.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
        self->do_close(1008, "idle timeout: no complete message in " + std::to_string(static_cast<int>(self->route_.idle_timeout_s)) + " s");
        // A peer that does not answer the close frame is cut off.
        self->timer_.expires_after(std::chrono::seconds(5));
        self->timer_.async_wait([self](beast::error_code e) {
          if (e || self->finished_) return;
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().close(ignored);
        });
        return;
      }
      self->arm_timer();
    });
  }

  void finished(bool clean) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (counted_open_) stats_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (handler_) handler_->on_closed(clean);
    // The handler holds this session as its Outbox (a shared_ptr): kept past the
    // end it would keep the session, and the session it, alive forever, with
    // the call the handler's leg belongs to (LeakSanitizer: 260 KB per call at
    // serve's exit). Nothing reaches the handler once the session has finished.
    handler_.reset();
  }

  websocket::stream<Stream> ws_;
  const WebSocketRoute& route_;
  NetStats& stats_;
  SessionRegistry& registry_;
  std::uint64_t registry_id_ = 0;
  ConnectionTimer timer_;
  beast::flat_buffer buffer_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::vector<std::shared_ptr<void>> slots_;  // the listener's and the route's counts of this connection
  std::deque<std::string> outq_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::chrono::steady_clock::time_point last_message_;
  bool accepted_ = false;  // no message may be written before the handshake's response
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool close_pending_ = false;  // a close waits for the queued writes
  std::uint16_t pending_code_ = 1000;
  std::string pending_reason_;
  std::chrono::steady_clock::time_point pending_since_;
  bool counted_open_ = false;
};

}  // namespace tw::net::detail
