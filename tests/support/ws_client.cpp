#include "support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <variant>

namespace tw::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct WsClient::Impl {
  asio::io_context io;
  ssl::context tls_context{ssl::context::tls_client};
  std::variant<std::monostate, websocket::stream<beast::tcp_stream>, websocket::stream<beast::ssl_stream<beast::tcp_stream>>> ws;
  bool connected = false;
  bool closed = false;
  int refusal = 0;
  int close_code = 0;
  std::string close_reason;

  template <class F>
  auto with(F&& f) {
    return std::visit(
        [&](auto& s) {
          if constexpr (std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) {
            return decltype(f(std::get<1>(ws)))();
          } else {
            return f(s);
          }
        },
        ws);
  }

  // Runs one async operation to completion or timeout; false on timeout.
  bool run_for(double timeout_s) {
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_s)));
    return io.stopped();
  }
};

namespace {
// The asynchronous handshake: Boost 1.74's synchronous one returns before it hands
// back the server's response when the upgrade is refused (websocket/impl/handshake.hpp).
template <class Stream>
void handshake(Stream& s, websocket::response_type& response, const std::string& host, const std::string& target,
               beast::error_code& ec) {
  bool done = false;
  s.async_handshake(response, host, target, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  auto& io = static_cast<asio::io_context&>(s.get_executor().context());
  io.restart();
  while (!done) io.run_one();
}
}  // namespace

WsClient::WsClient(std::uint16_t port, const std::string& target, bool tls,
                   const std::vector<std::pair<std::string, std::string>>& headers)
    : impl_(std::make_unique<Impl>()) {
  Impl& i = *impl_;
  tcp::socket socket(i.io);
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  auto decorate = [&](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  };
  websocket::response_type response;
  const std::string host = "127.0.0.1:" + std::to_string(port);
  if (tls) {
    i.tls_context.set_verify_mode(ssl::verify_none);
    auto& s = i.ws.emplace<2>(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), i.tls_context));
    s.next_layer().handshake(ssl::stream_base::client, ec);
    if (ec) return;
    s.set_option(websocket::stream_base::decorator(decorate));
    handshake(s, response, host, target, ec);
  } else {
    auto& s = i.ws.emplace<1>(beast::tcp_stream(std::move(socket)));
    s.set_option(websocket::stream_base::decorator(decorate));
    handshake(s, response, host, target, ec);
  }
  if (ec) {
    i.refusal = static_cast<int>(response.result_int());
    return;
  }
  i.connected = true;
}

WsClient::~WsClient() = default;

bool WsClient::connected() const noexcept { return impl_->connected; }
int WsClient::refusal_status() const noexcept { return impl_->refusal; }

bool WsClient::send_text(const std::string& message) {
  if (!impl_->connected || impl_->closed) return false;
  return impl_->with([&](auto& s) {
    beast::error_code ec;
    s.text(true);
    s.write(asio::buffer(message), ec);
    return !ec;
  });
}

bool WsClient::send_binary(const std::string& bytes) {
  if (!impl_->connected || impl_->closed) return false;
  return impl_->with([&](auto& s) {
    beast::error_code ec;
    s.binary(true);
    s.write(asio::buffer(bytes), ec);
    return !ec;
  });
}

std::optional<std::string> WsClient::read(double timeout_s) {
  Impl& i = *impl_;
  if (!i.connected || i.closed) return std::nullopt;
  beast::flat_buffer buffer;
  beast::error_code result = asio::error::would_block;
  bool done = false;
  i.with([&](auto& s) {
    s.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    return 0;
  });
  i.io.restart();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done && std::chrono::steady_clock::now() < deadline) i.io.run_one_for(std::chrono::milliseconds(20));
  if (!done) {
    // Abandon the read: cancel it and let it complete.
    i.with([&](auto& s) {
      beast::get_lowest_layer(s).cancel();
      return 0;
    });
    i.io.restart();
    while (!done) i.io.run_one_for(std::chrono::milliseconds(100));
    // A cancelled read leaves a Beast stream unusable for reads: treat as closed to the caller.
    i.closed = true;
    return std::nullopt;
  }
  if (result) {
    i.closed = true;
    i.with([&](auto& s) {
      i.close_code = static_cast<int>(s.reason().code);
      i.close_reason = std::string(s.reason().reason.data(), s.reason().reason.size());
      return 0;
    });
    return std::nullopt;
  }
  return beast::buffers_to_string(buffer.data());
}

bool WsClient::wait_closed(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!impl_->closed) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    (void)read(left);
  }
  return impl_->close_code != 0 || impl_->closed;
}

int WsClient::close_code() const noexcept { return impl_->close_code; }
std::string WsClient::close_reason() const { return impl_->close_reason; }

void WsClient::drop() {
  impl_->with([&](auto& s) {
    beast::error_code ec;
    beast::get_lowest_layer(s).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(s).socket().close(ec);
    return 0;
  });
  impl_->closed = true;
}

void WsClient::close() {
  if (!impl_->connected || impl_->closed) return;
  impl_->with([&](auto& s) {
    beast::error_code ec;
    s.close(websocket::close_code::normal, ec);
    return 0;
  });
  impl_->closed = true;
}

int raw_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool read_json_until(WsClient& client, double timeout_s, const std::function<bool(const nlohmann::json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto text = client.read(std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
    if (!text) return false;
    const nlohmann::json message = nlohmann::json::parse(*text, nullptr, false);
    if (message.is_object() && done(message)) return true;
  }
  return false;
}

}  // namespace tw::test
