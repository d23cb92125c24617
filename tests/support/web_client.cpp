#include "support/web_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <stdexcept>

namespace tw::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Runs the io_context until `done` or the timeout; on a timeout, `cancel` is
/// called and the loop runs until the cancelled handler has run. True if done in time.
template <class Cancel>
bool run_until(asio::io_context& ioc, const bool& done, double timeout_s, Cancel cancel) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                              std::chrono::duration<double>(timeout_s));
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_until(deadline);
  }
  if (done) return true;
  cancel();
  ioc.restart();
  while (!done && ioc.run_one_for(std::chrono::seconds(2)) > 0) {
  }
  return false;
}

tcp::socket connect_socket(asio::io_context& ioc, const std::string& host, std::uint16_t port, double timeout_s) {
  tcp::socket socket(ioc);
  const tcp::endpoint endpoint(asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host), port);
  bool done = false;
  beast::error_code result;
  socket.async_connect(endpoint, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (!run_until(ioc, done, timeout_s, [&] { socket.close(); }) || result) {
    throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) +
                             (result ? ": " + result.message() : ": timed out"));
  }
  return socket;
}

}  // namespace

std::string HttpResult::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResult http_request(const std::string& host, std::uint16_t port, const std::string& method, const std::string& target,
                        const Headers& headers, const std::string& body, double timeout_s) {
  asio::io_context ioc;
  tcp::socket socket = connect_socket(ioc, host, port, timeout_s);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  bool done = false;
  beast::error_code result;
  http::async_write(socket, req, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!run_until(ioc, done, timeout_s, [&] { socket.close(); }) || result) {
    throw std::runtime_error(method + " " + target + ": cannot send the request");
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  done = false;
  http::async_read(socket, buffer, parser, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!run_until(ioc, done, timeout_s, [&] { socket.close(); }) || result) {
    throw std::runtime_error(method + " " + target + ": no answer" + (result ? " (" + result.message() + ")" : " in time"));
  }
  const auto& res = parser.get();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = out.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += "\n" + std::string(field.value());
  }
  out.body = res.body();
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

struct WebSocketClient::Impl {
  asio::io_context ioc;
  std::optional<websocket::stream<tcp::socket>> ws;
  beast::flat_buffer buffer;
  bool closed = false;
  int refused_status = 0;
  bool read_pending = false, read_done = false;
  beast::error_code read_error;
};

WebSocketClient::WebSocketClient(const std::string& host, std::uint16_t port, const std::string& target,
                                 const Headers& headers, double timeout_s)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.ws.emplace(connect_socket(m.ioc, host, port, timeout_s));
  m.ws->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  m.ws->read_message_max(64 * 1024 * 1024);
  websocket::response_type response;
  bool done = false;
  beast::error_code result;
  m.ws->async_handshake(response, host + ":" + std::to_string(port), target, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (!run_until(m.ioc, done, timeout_s, [&] { beast::get_lowest_layer(*m.ws).close(); }) || result) {
    m.refused_status = static_cast<int>(response.result_int());
    throw std::runtime_error("WebSocket " + target + " refused: HTTP " + std::to_string(m.refused_status) + " (" +
                             (result ? result.message() : std::string("timed out")) + ")");
  }
}

WebSocketClient::~WebSocketClient() {
  if (!impl_->closed) {
    beast::error_code ignored;
    beast::get_lowest_layer(*impl_->ws).close(ignored);
  }
}

namespace {
void write_message(asio::io_context& ioc, websocket::stream<tcp::socket>& ws, bool text, asio::const_buffer bytes,
                   double timeout_s) {
  ws.text(text);
  bool done = false;
  beast::error_code result;
  ws.async_write(bytes, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!run_until(ioc, done, timeout_s, [&] { beast::get_lowest_layer(ws).close(); }) || result) {
    throw std::runtime_error("WebSocket write failed" + (result ? ": " + result.message() : std::string(": timed out")));
  }
}
}  // namespace

void WebSocketClient::send_text(std::string_view text, double timeout_s) {
  write_message(impl_->ioc, *impl_->ws, true, asio::buffer(text.data(), text.size()), timeout_s);
}

void WebSocketClient::send_binary(std::span<const std::uint8_t> bytes, double timeout_s) {
  write_message(impl_->ioc, *impl_->ws, false, asio::buffer(bytes.data(), bytes.size()), timeout_s);
}

std::optional<std::string> WebSocketClient::read(double timeout_s) {
  Impl& m = *impl_;
  if (m.closed) return std::nullopt;
  // A timed-out read cannot be cancelled without failing a Beast stream, so it is
  // left in flight: a later read() (or the loop of a write) completes it.
  if (!m.read_pending) {
    m.read_pending = true;
    m.read_done = false;
    m.ws->async_read(m.buffer, [&m](beast::error_code ec, std::size_t) {
      m.read_error = ec;
      m.read_done = true;
    });
  }
  m.ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                              std::chrono::duration<double>(timeout_s));
  while (!m.read_done && std::chrono::steady_clock::now() < deadline) m.ioc.run_one_until(deadline);
  if (!m.read_done) return std::nullopt;
  m.read_pending = false;
  if (m.read_error) {
    m.closed = true;
    return std::nullopt;
  }
  std::string message = beast::buffers_to_string(m.buffer.data());
  m.buffer.consume(m.buffer.size());
  return message;
}

void WebSocketClient::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  bool done = false;
  m.ws->async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  run_until(m.ioc, done, 2.0, [&] { beast::get_lowest_layer(*m.ws).close(); });
  beast::error_code ignored;
  beast::get_lowest_layer(*m.ws).close(ignored);
}

bool WebSocketClient::closed() const noexcept { return impl_->closed; }

int websocket_refusal(const std::string& host, std::uint16_t port, const std::string& target, const Headers& headers) {
  try {
    WebSocketClient client(host, port, target, headers, 5.0);
    client.close();
    return 0;
  } catch (const std::runtime_error& e) {
    const std::string text = e.what();
    const std::size_t at = text.find("HTTP ");
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 5);
  }
}

}  // namespace tw::test
