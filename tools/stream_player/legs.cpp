#include "legs.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

namespace tw::player {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::asio::ip::tcp;

WebSocketLeg::WebSocketLeg(boost::asio::io_context& io, std::string host, std::string port, std::string path,
                           std::vector<std::pair<std::string, std::string>> headers,
                           std::function<void(const std::string&)> on_text)
    : resolver_(io),
      ws_(io),
      host_(std::move(host)),
      port_(std::move(port)),
      path_(std::move(path)),
      headers_(std::move(headers)),
      on_text_(std::move(on_text)) {}

void WebSocketLeg::fail(const std::string& what) {
  if (!outcome_.failed && !closing_) {
    outcome_.failed = true;
    outcome_.detail = what;
  }
  closed_ = true;
  queue_.clear();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WebSocketLeg::start(std::function<void()> on_open) {
  auto self = shared_from_this();
  resolver_.async_resolve(host_, port_, [this, self, on_open](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail("resolve " + host_ + ": " + ec.message());
    beast::get_lowest_layer(ws_).async_connect(results, [this, self, on_open](beast::error_code ec2, tcp::endpoint) {
      if (ec2) return fail("connect " + host_ + ":" + port_ + ": " + ec2.message());
      beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
      ws_.set_option(websocket::stream_base::decorator([headers = headers_](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, "tonewatch-stream-player");
        for (const auto& [field, value] : headers) request.set(field, value);
      }));
      ws_.async_handshake(host_ + ":" + port_, path_, [this, self, on_open](beast::error_code ec3) {
        if (ec3) return fail("websocket handshake " + path_ + ": " + ec3.message());
        outcome_.connected = true;
        read_next();
        on_open();
      });
    });
  });
}

void WebSocketLeg::record_close_reason() {
  const auto& reason = ws_.reason();
  if (reason.code == websocket::close_code::none) return;
  outcome_.close_code = static_cast<int>(reason.code);
  outcome_.detail = std::string(reason.reason.data(), reason.reason.size());
  // 1000 normal, 1001 going away; anything else is the server refusing the stream.
  if (reason.code != websocket::close_code::normal && reason.code != websocket::close_code::going_away) outcome_.failed = true;
}

void WebSocketLeg::read_next() {
  auto self = shared_from_this();
  ws_.async_read(read_buffer_, [this, self](beast::error_code ec, std::size_t) {
    if (ec) {
      closed_ = true;
      if (ec == websocket::error::closed) {
        if (!closing_) outcome_.server_closed = true;
        record_close_reason();
      } else if (!closing_) {
        outcome_.failed = true;
        outcome_.server_closed = true;
        outcome_.detail = "read: " + ec.message();
      }
      queue_.clear();
      return;
    }
    if (ws_.got_text()) on_text_(beast::buffers_to_string(read_buffer_.data()));
    read_buffer_.consume(read_buffer_.size());
    read_next();
  });
}

void WebSocketLeg::send(std::string data, bool text) {
  if (closed_ || finishing_) return;
  queue_.emplace_back(std::move(data), text);
  if (!writing_) write_next();
}

void WebSocketLeg::write_next() {
  if (queue_.empty()) {
    writing_ = false;
    if (finishing_ && !closing_ && !closed_) {
      closing_ = true;
      auto self = shared_from_this();
      ws_.async_close(websocket::close_code::normal, [this, self](beast::error_code) {
        // The server's close frame may arrive as the answer to ours; its code still
        // tells whether it refused the stream (e.g. 1003 for data it cannot take).
        record_close_reason();
        closed_ = true;
      });
    }
    return;
  }
  writing_ = true;
  ws_.text(queue_.front().second);
  auto self = shared_from_this();
  ws_.async_write(boost::asio::buffer(queue_.front().first), [this, self](beast::error_code ec, std::size_t bytes) {
    if (ec) return fail("write: " + ec.message());
    ++outcome_.messages_sent;
    outcome_.bytes_sent += bytes;
    queue_.pop_front();
    write_next();
  });
}

void WebSocketLeg::finish() {
  finishing_ = true;
  if (!writing_ && !closed_) write_next();
}

TcpLeg::TcpLeg(boost::asio::io_context& io, std::string host, std::string port)
    : resolver_(io), socket_(io), host_(std::move(host)), port_(std::move(port)) {}

void TcpLeg::start(std::function<void()> on_open) {
  auto self = shared_from_this();
  resolver_.async_resolve(host_, port_, [this, self, on_open](boost::system::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      outcome_.failed = true;
      outcome_.detail = "resolve " + host_ + ": " + ec.message();
      closed_ = true;
      return;
    }
    boost::asio::async_connect(socket_, results, [this, self, on_open](boost::system::error_code ec2, tcp::endpoint) {
      if (ec2) {
        outcome_.failed = true;
        outcome_.detail = "connect " + host_ + ":" + port_ + ": " + ec2.message();
        closed_ = true;
        return;
      }
      socket_.set_option(tcp::no_delay(true));
      outcome_.connected = true;
      read_next();
      on_open();
    });
  });
}

void TcpLeg::read_next() {
  auto self = shared_from_this();
  socket_.async_read_some(boost::asio::buffer(read_buffer_), [this, self](boost::system::error_code ec, std::size_t) {
    if (ec) {
      if (!finishing_ || !queue_.empty()) {
        // The server hung up before we did: it refused or dropped the leg.
        outcome_.failed = true;
        outcome_.server_closed = true;
        outcome_.detail = ec == boost::asio::error::eof ? "server closed the connection" : "read: " + ec.message();
      }
      closed_ = true;
      queue_.clear();
      return;
    }
    read_next();  // AudioSocket servers may send audio back; the player ignores it
  });
}

void TcpLeg::send(std::string data, bool) {
  if (closed_ || finishing_) return;
  queue_.push_back(std::move(data));
  if (!writing_) write_next();
}

void TcpLeg::write_next() {
  if (queue_.empty()) {
    writing_ = false;
    if (finishing_ && !closed_) {
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);  // the server sees EOF after the hangup message
    }
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  boost::asio::async_write(socket_, boost::asio::buffer(queue_.front()), [this, self](boost::system::error_code ec, std::size_t bytes) {
    if (ec) {
      outcome_.failed = true;
      outcome_.detail = "write: " + ec.message();
      closed_ = true;
      queue_.clear();
      return;
    }
    ++outcome_.messages_sent;
    outcome_.bytes_sent += bytes;
    queue_.pop_front();
    write_next();
  });
}

void TcpLeg::finish() {
  finishing_ = true;
  if (!writing_) write_next();
}

}  // namespace tw::player
