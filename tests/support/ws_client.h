#pragma once
// A WebSocket client for end-to-end tests (Boost.Beast): connect to a running
// server, send frames of any kind — well-formed or not — and read what comes back
// with a timeout. Plain or TLS (the server's certificate is not verified).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tw::test {

class WsClient {
 public:
  /// Connects to 127.0.0.1:port and asks to upgrade `target`. If the server refuses
  /// the upgrade, connected() is false and refusal_status() says with what.
  WsClient(std::uint16_t port, const std::string& target, bool tls = false,
           const std::vector<std::pair<std::string, std::string>>& headers = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool connected() const noexcept;
  int refusal_status() const noexcept;

  /// False if the connection is gone.
  bool send_text(const std::string& message);
  bool send_binary(const std::string& bytes);
  /// The next text or binary message, or nullopt after `timeout_s` or when the
  /// server closed (then close_code()/close_reason() say how).
  std::optional<std::string> read(double timeout_s);
  /// Reads until the server closes (or timeout); true if it did.
  bool wait_closed(double timeout_s);
  int close_code() const noexcept;
  std::string close_reason() const;
  /// Closes the TCP connection without a WebSocket close (an abrupt disconnect).
  void drop();
  /// Closes with a close frame.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads messages as JSON until `done` holds for one (true) or `timeout_s` has passed or the
/// connection ended (false). A read that times out ends the client (read()), so each read
/// waits for the rest of the time: for feeds that send something every second or so.
bool read_json_until(WsClient& client, double timeout_s, const std::function<bool(const nlohmann::json&)>& done);

/// Sends raw bytes on a TCP connection to 127.0.0.1:port and returns the fd (or -1).
int raw_connect(std::uint16_t port);

}  // namespace tw::test
