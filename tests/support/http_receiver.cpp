#include "support/http_receiver.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tw::test {
namespace {

constexpr int kPollMs = 20;                  // how often blocked threads look at the stop flag
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const std::size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpReceiver::HttpReceiver(bool start_up) {
  bind_socket();
  if (start_up) up();
}

HttpReceiver::~HttpReceiver() {
  down();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpReceiver::bind_socket() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("test receiver: socket: ") + std::strerror(errno));
  const int yes = 1;
  // The port is bound again after down(); the connections just closed sit in TIME_WAIT on it.
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("test receiver: bind to port " + std::to_string(port_) + ": " + std::strerror(errno));
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

void HttpReceiver::up() {
  if (listening_) return;
  if (::listen(listen_fd_, 64) != 0) throw std::runtime_error(std::string("test receiver: listen: ") + std::strerror(errno));
  stop_ = false;
  listening_ = true;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void HttpReceiver::down() {
  if (!listening_) return;
  stop_ = true;
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  changed_.notify_all();  // replies held back (hang, delay) give up
  for (std::thread& t : workers) t.join();
  ::close(listen_fd_);
  bind_socket();  // bound, not listening: connects are refused, and the port stays ours
  listening_ = false;
  stop_ = false;
}

void HttpReceiver::set_handler(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<HttpRequest> HttpReceiver::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool HttpReceiver::wait_for(const std::function<bool(const std::vector<HttpRequest>&)>& done,
                            std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(requests_); });
}

void HttpReceiver::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool HttpReceiver::read_request(int fd, std::string& buffer, HttpRequest& request) {
  auto fill = [&]() {
    char chunk[4096];
    for (;;) {
      if (stop_) return false;
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, kPollMs);
      if (ready < 0 && errno != EINTR) return false;
      if (ready <= 0) continue;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  };
  std::size_t end = 0;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxHeaderBytes || !fill()) return false;
  }
  const std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const std::size_t space1 = request_line.find(' ');
  const std::size_t space2 = request_line.find(' ', space1 + 1);
  if (space1 == std::string::npos || space2 == std::string::npos) return false;
  request.method = request_line.substr(0, space1);
  request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    request.headers[lowercase(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  const std::size_t length = request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
  while (buffer.size() < length) {
    if (!fill()) return false;
  }
  request.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

void HttpReceiver::serve(int fd) {
  std::string buffer;
  for (;;) {
    HttpRequest request;
    if (!read_request(fd, buffer, request)) break;
    request.received_at = std::chrono::steady_clock::now();
    std::size_t index = 0;
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      index = requests_.size();
      requests_.push_back(request);
      handler = handler_;
    }
    const HttpReply reply = handler ? handler(request, index) : HttpReply{};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_[index].status = reply.hang ? 0 : reply.status;
    }
    changed_.notify_all();
    if (reply.hang) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stop_.load(); });
      break;
    }
    if (reply.delay.count() > 0) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (changed_.wait_for(lock, reply.delay, [&] { return stop_.load(); })) break;
    }
    std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
    response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    for (const auto& [name, value] : reply.headers) response += name + ": " + value + "\r\n";
    response += "\r\n" + reply.body;
    if (!send_all(fd, response)) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace tw::test
