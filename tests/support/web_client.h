#pragma once
// A small HTTP and WebSocket client on real sockets (Boost.Beast), for tests that
// talk to a running `tonewatch serve` or drive Chromium over the DevTools
// protocol. Every operation has a timeout; none hangs a test.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tw::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-case; repeated ones joined with "\n"
  std::string body;
  std::string header(const std::string& lower_case_name) const;
};

/// One HTTP/1.1 request on a fresh connection. Throws std::runtime_error when the
/// server cannot be reached or does not answer in time.
HttpResult http_request(const std::string& host, std::uint16_t port, const std::string& method, const std::string& target,
                        const Headers& headers = {}, const std::string& body = {}, double timeout_s = 10.0);

/// A WebSocket client connection (ws://, no TLS).
class WebSocketClient {
 public:
  /// Connects and performs the handshake. Throws std::runtime_error on failure;
  /// when the server refused the upgrade, its status is in the message ("HTTP 401").
  WebSocketClient(const std::string& host, std::uint16_t port, const std::string& target, const Headers& headers = {},
                  double timeout_s = 10.0);
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  /// Sends a message; throws std::runtime_error if it cannot be written in time.
  void send_text(std::string_view text, double timeout_s = 10.0);
  void send_binary(std::span<const std::uint8_t> bytes, double timeout_s = 10.0);
  /// The next message, or nullopt if none came within the timeout or the
  /// connection closed (then closed() is true).
  std::optional<std::string> read(double timeout_s);
  /// Sends a close frame and waits (briefly) for the server's.
  void close();
  bool closed() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The HTTP status a refused WebSocket handshake got, or 0 if it was accepted
/// or failed otherwise.
int websocket_refusal(const std::string& host, std::uint16_t port, const std::string& target, const Headers& headers = {});

}  // namespace tw::test
