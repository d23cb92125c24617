#pragma once
// The player's connections: a WebSocket client leg and a raw TCP leg, both
// asynchronous on one io_context (Boost.Asio / Boost.Beast). A leg queues what
// it is given, writes in order, reads whatever the server sends, and records how
// the connection ended.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace tw::player {

/// How a leg ended, for the summary and the exit code.
struct LegOutcome {
  bool connected = false;
  bool failed = false;             ///< connection/handshake/write error, or the server closed with an error
  bool server_closed = false;      ///< the server closed first
  int close_code = 0;              ///< WebSocket close code the server sent (0: none)
  std::string detail;              ///< close reason or error message
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_sent = 0;
};

class Leg {
 public:
  virtual ~Leg() = default;
  /// Connects; `on_open` runs once the connection (and handshake) is up.
  virtual void start(std::function<void()> on_open) = 0;
  /// Queues a message (text or binary; TCP legs ignore the flag).
  virtual void send(std::string data, bool text) = 0;
  /// Closes after everything queued is written.
  virtual void finish() = 0;
  /// Messages queued but not yet written (for pacing at full speed).
  virtual std::size_t backlog() const = 0;
  virtual bool closed() const = 0;
  const LegOutcome& outcome() const { return outcome_; }
  std::string name;

 protected:
  LegOutcome outcome_;
};

/// A WebSocket client leg (plain ws://). `on_text` gets every text message.
class WebSocketLeg : public Leg, public std::enable_shared_from_this<WebSocketLeg> {
 public:
  WebSocketLeg(boost::asio::io_context& io, std::string host, std::string port, std::string path,
               std::vector<std::pair<std::string, std::string>> headers, std::function<void(const std::string&)> on_text);
  void start(std::function<void()> on_open) override;
  void send(std::string data, bool text) override;
  void finish() override;
  std::size_t backlog() const override { return queue_.size(); }
  bool closed() const override { return closed_; }

 private:
  void write_next();
  void read_next();
  void record_close_reason();
  void fail(const std::string& what);

  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::string host_, port_, path_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::function<void(const std::string&)> on_text_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::pair<std::string, bool>> queue_;
  bool writing_ = false;
  bool finishing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

/// A raw TCP leg (AudioSocket).
class TcpLeg : public Leg, public std::enable_shared_from_this<TcpLeg> {
 public:
  TcpLeg(boost::asio::io_context& io, std::string host, std::string port);
  void start(std::function<void()> on_open) override;
  void send(std::string data, bool text) override;
  void finish() override;
  std::size_t backlog() const override { return queue_.size(); }
  bool closed() const override { return closed_; }

 private:
  void write_next();
  void read_next();

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  std::string host_, port_;
  std::array<char, 4096> read_buffer_{};
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool finishing_ = false;
  bool closed_ = false;
};

}  // namespace tw::player
