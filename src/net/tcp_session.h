#pragma once
// One raw TCP connection (AudioSocket): bytes read into the handler as they come,
// bytes from the outbox written back. Internal to the net layer.

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "net/connection_handler.h"
#include "net/connection_stream.h"
#include "net/session_registry.h"

namespace tw::net::detail {

namespace beast = boost::beast;
namespace asio = boost::asio;

class TcpSession final : public Outbox, public Closable, public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(ConnectionStream&& stream, const TcpRoute& route, NetStats& stats, SessionRegistry& registry)
      : stream_(std::move(stream)), route_(route), stats_(stats), registry_(registry), timer_(stream_.get_executor()),
        buffer_(route.max_read_bytes) {}
  ~TcpSession() override {
    if (registry_id_ != 0) registry_.remove(registry_id_);
  }

  ConnectionExecutor executor() { return stream_.get_executor(); }
  /// Keeps `slot` (the listener's count of this connection) as long as the session lives.
  void hold(std::shared_ptr<void> slot) { slot_ = std::move(slot); }

  /// On the connection's loop.
  void start(const std::string& remote) {
    registry_id_ = registry_.add(weak_from_this());
    handler_ = route_.open(remote, std::shared_ptr<Outbox>(shared_from_this(), this));
    if (!handler_) {
      stats_.tcp_refused.fetch_add(1, std::memory_order_relaxed);
      beast::error_code ignored;
      stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      stream_.socket().close(ignored);
      return;
    }
    stats_.tcp_accepted.fetch_add(1, std::memory_order_relaxed);
    stats_.open_connections.fetch_add(1, std::memory_order_relaxed);
    counted_open_ = true;
    progress_ = std::chrono::steady_clock::now();
    arm_timer();
    read_next();
  }

  bool send(std::string message) override {
    // On the connection's own loop (a reply to the bytes being read) the message is
    // queued at once, so a close the same read asks for is written after it.
    if (stream_.get_executor().running_in_this_thread()) {
      enqueue(std::move(message));
    } else {
      asio::post(stream_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable { self->enqueue(std::move(m)); });
    }
    return true;
  }
  void close(std::uint16_t, std::string) override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
  }
  std::uint64_t dropped() const noexcept override { return 0; }
  void go_away() override { close(1001, {}); }

 private:
  void read_next() {
    stream_.async_read_some(asio::buffer(buffer_), beast::bind_front_handler(&TcpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t n) {
    if (ec) {
      finished(ec == asio::error::eof);
      return;
    }
    const Verdict v = handler_->on_binary(std::span<const std::uint8_t>(buffer_.data(), n));
    // Progress is a completed protocol message, not a byte: a peer that trickles
    // one byte a second does not keep its connection.
    const std::uint64_t messages = handler_->completed_messages();
    if (messages != messages_) {
      messages_ = messages;
      progress_ = std::chrono::steady_clock::now();
    }
    if (v.close) {
      if (!outq_.empty()) {
        // Replies still being written go out first; the last write's completion ends
        // the session (or the idle timer does, if the peer stops reading).
        close_after_writes_ = true;
        close_clean_ = v.code == 1000;
        return;
      }
      // No read is pending to fail and end the session (as it does after an idle
      // timeout or go_away): the session ends here. Without this, a connection the
      // protocol closed (an AudioSocket hangup) was never counted closed, its
      // handler never heard on_closed (the adapter's counters never reached the
      // metrics), and its timer kept re-arming, holding it until shutdown.
      shutdown();
      finished(v.code == 1000);
      return;
    }
    read_next();
  }

  void enqueue(std::string message) {
    if (finished_) return;
    outq_.push_back(std::move(message));
    if (outq_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(stream_, asio::buffer(outq_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->outq_.pop_front();
      if (!ec && !self->outq_.empty()) {
        self->write_next();
        return;
      }
      if (self->close_after_writes_ && !self->finished_) {
        self->shutdown();
        self->finished(self->close_clean_);
      }
    });
  }

  void arm_timer() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      const double idle = std::chrono::duration<double>(std::chrono::steady_clock::now() - self->progress_).count();
      if (idle > self->route_.idle_timeout_s) {
        self->stats_.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
        self->shutdown();
        return;
      }
      self->arm_timer();
    });
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
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

  ConnectionStream stream_;
  const TcpRoute& route_;
  NetStats& stats_;
  SessionRegistry& registry_;
  std::uint64_t registry_id_ = 0;
  ConnectionTimer timer_;
  std::vector<std::uint8_t> buffer_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::shared_ptr<void> slot_;
  std::deque<std::string> outq_;
  std::chrono::steady_clock::time_point progress_;
  std::uint64_t messages_ = 0;
  bool finished_ = false;
  bool counted_open_ = false;
  bool close_after_writes_ = false;  // the handler asked to close; writes are draining
  bool close_clean_ = false;
};

}  // namespace tw::net::detail
