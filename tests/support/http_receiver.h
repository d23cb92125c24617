#pragma once
// A small real HTTP/1.1 server on 127.0.0.1 for tests of HTTP clients (webhooks):
// plain POSIX sockets, keep-alive, Content-Length bodies. It can be down (its port
// bound but not listening, so connects are refused and the port stays ours), answer
// with any status and headers, answer late, or never answer.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tw::test {

struct HttpRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;
  std::chrono::steady_clock::time_point received_at;
  int status = 0;  ///< what the handler answered; 0 when told to hang
  /// Header value, or "" when absent. `name` lowercase.
  std::string header(const std::string& name) const;
};

struct HttpReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  ///< answer this late
  bool hang = false;                   ///< never answer (until the receiver goes down or is destroyed)
};

class HttpReceiver {
 public:
  /// Decides each reply; `index` counts requests from 0. Called on connection threads.
  using Handler = std::function<HttpReply(const HttpRequest& request, std::size_t index)>;

  /// Binds 127.0.0.1 on a free port; starts down unless `up` is true. Replies 200 by default.
  explicit HttpReceiver(bool up = true);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const noexcept { return port_; }
  std::string url(const std::string& path = "/hook") const;

  /// Starts listening (idempotent).
  void up();
  /// Stops listening and drops every connection (a reply being held is never sent);
  /// afterwards connects are refused. Idempotent.
  void down();
  void set_handler(Handler handler);

  /// Every request received so far, in arrival order.
  std::vector<HttpRequest> requests() const;
  /// Waits until `done(requests)` holds or `timeout` passes; returns whether it held.
  bool wait_for(const std::function<bool(const std::vector<HttpRequest>&)>& done, std::chrono::milliseconds timeout) const;

 private:
  void bind_socket();
  void accept_loop();
  void serve(int fd);
  bool read_request(int fd, std::string& buffer, HttpRequest& request);

  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> listening_{false};
  std::atomic<bool> stop_{false};
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Handler handler_;
  std::vector<HttpRequest> requests_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
};

}  // namespace tw::test
