#include "net/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cctype>
#include <chrono>
#include <optional>
#include <pthread.h>
#include <stdexcept>
#include <thread>

#include "net/connection_limits.h"
#include "net/connection_starts.h"
#include "net/connection_stream.h"
#include "net/session_registry.h"
#include "text/ascii.h"

namespace tw::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::pair<std::string, std::uint16_t> parse_address(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 >= address.size()) {
    throw std::invalid_argument("'" + address + "' is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = address.substr(colon + 1);
  if (!std::all_of(port_text.begin(), port_text.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      port_text.size() > 5 || std::stoul(port_text) > 65535) {
    throw std::invalid_argument("'" + address + "': port must be 0-65535");
  }
  if (host.empty()) throw std::invalid_argument("'" + address + "': no host (say 127.0.0.1 or 0.0.0.0)");
  return {host, static_cast<std::uint16_t>(std::stoul(port_text))};
}

int refused_transfer_coding(std::string_view value) {
  std::vector<std::string> codings;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = text::trim_spaces_and_tabs(value.substr(0, comma));
    if (!item.empty()) {  // empty list elements are allowed and ignored (RFC 9110 §5.6.1.2)
      // without its transfer parameters (none are defined for chunked)
      codings.push_back(text::ascii_lowered(text::trim_spaces_and_tabs(item.substr(0, item.find(';')))));
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (codings.empty() || codings.back() != "chunked") return 400;
  if (codings.size() > 1) return std::count(codings.begin(), codings.end(), "chunked") > 1 ? 400 : 501;
  return 0;
}

namespace {

tcp::endpoint resolve(const std::string& address) {
  const auto [host, port] = parse_address(address);
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw std::invalid_argument("'" + address + "': '" + host + "' is not an IP address");
  return {ip, port};
}

std::string address_of(const detail::ConnectionSocket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string();
}

// accept(2) fails this way when the process or system is out of descriptors or
// memory; the connection waits in the backlog, so accepting again at once fails
// again at once (a busy loop at 100 % of a core, issue 22).
bool out_of_resources(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  return ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS || ec.value() == ENOMEM;
}

// What an HTTP client refused at a full listener reads before the close.
constexpr std::string_view kBusyResponse =
    "HTTP/1.1 503 Service Unavailable\r\nServer: tonewatch\r\nConnection: close\r\nRetry-After: 1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\ntoo many connections\n";

}  // namespace

struct HttpServer::Impl {
  explicit Impl(ServerConfig c) : config(std::move(c)) {
    // One event loop per network thread (concurrency hint 1: one thread runs it).
    for (unsigned i = 0; i < std::max(1u, config.io_threads); ++i) loops.push_back(std::make_unique<asio::io_context>(1));
    // Listeners (feeds) get a loop of their own, after the media loops and never
    // handed out by connection_executor(). A feed is written to once per event, and
    // Beast writes one WebSocket message per completion, each waiting its turn behind
    // every ready handler of the loop: on a media loop at 1,000 calls that was one
    // message per pass over hundreds of calls' packets, slower than the events came
    // (measured: the /events queue 2,500 messages deep, alerts 1-8 s late, while
    // the analysis had decided them within 10 ms of their audio).
    if (std::any_of(config.websockets.begin(), config.websockets.end(), [](const WebSocketRoute& r) { return r.idle_by_ping; })) {
      loops.push_back(std::make_unique<asio::io_context>(1));
      http_context.listener_loop = loops.back().get();
      media_loops = loops.size() - 1;
    } else {
      media_loops = loops.size();
    }
  }

  ServerConfig config;
  // Declared before the event loops: a session their destruction frees still finds them.
  NetStats stats;
  detail::ConnectionLimits http_limits{config.max_connections, config.max_connections_per_address};
  std::vector<std::unique_ptr<detail::ConnectionLimits>> tcp_limits;    // one per TCP listener
  std::vector<std::unique_ptr<detail::ConnectionLimits>> route_limits;  // one per WebSocket route
  detail::SessionRegistry sessions;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> http_acceptor;
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_acceptors;
  std::optional<asio::steady_timer> http_backoff;                 // on loops[0], as the acceptors
  std::vector<std::unique_ptr<asio::steady_timer>> tcp_backoffs;
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  detail::HttpSessionContext http_context{config, stats, route_limits, sessions};
  std::size_t next_loop = 0;  // only the acceptors' handlers (all on loops[0]) touch it
  std::size_t media_loops = 1;  // loops[0, media_loops) take new connections; a listeners' loop may follow
  std::atomic<bool> accepting{true};

  /// The loop a new connection lives on, in turn: with one network thread, always
  /// the one; with more, each connection stays on one thread and needs no strand.
  detail::ConnectionExecutor connection_executor() {
    const detail::ConnectionExecutor ex = loops[next_loop]->get_executor();
    next_loop = (next_loop + 1) % media_loops;
    return ex;
  }

  tcp::acceptor open_acceptor(const std::string& address) {
    const tcp::endpoint ep = resolve(address);
    tcp::acceptor acceptor(loops.front()->get_executor());
    boost::system::error_code ec;
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + address + ": " + ec.message());
    return acceptor;
  }

  /// A slot for a connection just accepted, or null after refusing it (counted;
  /// an HTTP client is told 503 first, in one non-blocking write of a few bytes
  /// into a fresh socket's empty buffer). On loops[0], before any I/O is started.
  std::shared_ptr<void> admit(detail::ConnectionLimits& limits, detail::ConnectionSocket& socket, bool http_listener) {
    detail::ConnectionLimits::Refusal why = detail::ConnectionLimits::Refusal::none;
    std::shared_ptr<void> slot = limits.acquire(address_of(socket), why);
    if (slot) return slot;
    (why == detail::ConnectionLimits::Refusal::total ? stats.refused_listener_full : stats.refused_address_full)
        .fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    if (http_listener && !tls) {
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusyResponse.data(), kBusyResponse.size()), ignored);
    }
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return nullptr;
  }

  /// Runs `again` after config.accept_backoff_s (out of descriptors or memory).
  template <class Again>
  void back_off(asio::steady_timer& timer, Again again) {
    stats.accept_backoffs.fetch_add(1, std::memory_order_relaxed);
    timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(config.accept_backoff_s)));
    timer.async_wait([this, again](boost::system::error_code ec) {
      if (!ec && accepting.load()) again();
    });
  }

  // The accept handlers run on loops[0]; each connection then starts on its own loop.
  void accept_http() {
    http_acceptor->async_accept(connection_executor(), [this](boost::system::error_code ec, detail::ConnectionSocket socket) {
      if (!accepting.load()) return;
      if (ec) {
        if (out_of_resources(ec)) return back_off(*http_backoff, [this] { accept_http(); });
        return accept_http();  // the peer gave up in the backlog (ECONNABORTED ...): the next one
      }
      if (std::shared_ptr<void> slot = admit(http_limits, socket, true)) {
        const detail::ConnectionExecutor ex = socket.get_executor();
        asio::dispatch(ex, [this, s = std::make_shared<detail::ConnectionSocket>(std::move(socket)), slot = std::move(slot)]() mutable {
          if (tls) {
            detail::start_https_session(http_context, detail::ConnectionStream(std::move(*s)), *tls, std::move(slot));
          } else {
            detail::start_http_session(http_context, detail::ConnectionStream(std::move(*s)), std::move(slot));
          }
        });
      }
      accept_http();
    });
  }

  void accept_tcp(std::size_t index) {
    tcp_acceptors[index]->async_accept(connection_executor(), [this, index](boost::system::error_code ec, detail::ConnectionSocket socket) {
      if (!accepting.load()) return;
      if (ec) {
        if (out_of_resources(ec)) return back_off(*tcp_backoffs[index], [this, index] { accept_tcp(index); });
        return accept_tcp(index);
      }
      if (std::shared_ptr<void> slot = admit(*tcp_limits[index], socket, false)) {
        detail::start_tcp_session(detail::ConnectionStream(std::move(socket)), config.tcp[index], stats, sessions,
                                  std::move(slot));
      }
      accept_tcp(index);
    });
  }

};

HttpServer::HttpServer(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  Impl& impl = *impl_;
  if (!impl.config.tls_cert_file.empty() || !impl.config.tls_key_file.empty()) {
    if (impl.config.tls_cert_file.empty() || impl.config.tls_key_file.empty()) {
      throw std::invalid_argument("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
    }
    impl.tls.emplace(ssl::context::tls_server);
    impl.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    impl.tls->use_certificate_chain_file(impl.config.tls_cert_file, ec);
    if (ec) throw std::invalid_argument("cannot load TLS certificate " + impl.config.tls_cert_file + ": " + ec.message());
    impl.tls->use_private_key_file(impl.config.tls_key_file, ssl::context::pem, ec);
    if (ec) throw std::invalid_argument("cannot load TLS key " + impl.config.tls_key_file + ": " + ec.message());
  }
  impl.http_acceptor.emplace(impl.open_acceptor(impl.config.listen));
  impl.http_backoff.emplace(impl.loops.front()->get_executor());
  for (const TcpRoute& route : impl.config.tcp) {
    impl.tcp_acceptors.push_back(std::make_unique<tcp::acceptor>(impl.open_acceptor(route.address)));
    impl.tcp_backoffs.push_back(std::make_unique<asio::steady_timer>(impl.loops.front()->get_executor()));
    impl.tcp_limits.push_back(
        std::make_unique<detail::ConnectionLimits>(impl.config.max_connections, impl.config.max_connections_per_address));
  }
  for (const WebSocketRoute& route : impl.config.websockets) {
    impl.route_limits.push_back(std::make_unique<detail::ConnectionLimits>(route.max_connections, 0));
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Impl& impl = *impl_;
  if (!impl.threads.empty()) return;
  for (auto& loop : impl.loops) impl.work.push_back(asio::make_work_guard(*loop));
  impl.accept_http();
  for (std::size_t i = 0; i < impl.tcp_acceptors.size(); ++i) impl.accept_tcp(i);
  for (std::size_t i = 0; i < impl.loops.size(); ++i) {
    // Named for top -H, perf and serve_load: the media loops, and the listeners' loop.
    const char* name = i < impl.media_loops ? "tw-io" : "tw-listeners";
    impl.threads.emplace_back([loop = impl.loops[i].get(), name] {
      pthread_setname_np(pthread_self(), name);
      loop->run();
    });
  }
}

void HttpServer::stop_accepting() {
  Impl& impl = *impl_;
  if (!impl.accepting.exchange(false)) return;
  asio::post(impl.http_acceptor->get_executor(), [&impl] {
    boost::system::error_code ignored;
    impl.http_acceptor->close(ignored);
    impl.http_backoff->cancel();
    for (auto& timer : impl.tcp_backoffs) timer->cancel();
  });
  for (auto& a : impl.tcp_acceptors) {
    asio::post(a->get_executor(), [acceptor = a.get()] {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    });
  }
}

void HttpServer::stop() {
  Impl& impl = *impl_;
  if (impl.threads.empty()) return;
  stop_accepting();
  for (auto& session : impl.sessions.snapshot()) session->go_away();
  // Give the close handshakes a moment, then cut off the peers that did not
  // answer: every handler gets on_closed while the loop still runs, so whatever
  // holds a connection (a feed's subscriber list) lets go of it before the
  // sockets' event loops go away.
  for (int i = 0; i < 50 && impl.stats.open_connections.load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& session : impl.sessions.snapshot()) session->abort();
  for (int i = 0; i < 50 && impl.sessions.size() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl.work.clear();
  for (auto& loop : impl.loops) loop->stop();
  for (auto& t : impl.threads) t.join();
  impl.threads.clear();
}

std::uint16_t HttpServer::http_port() const noexcept {
  boost::system::error_code ec;
  const tcp::endpoint ep = impl_->http_acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::vector<std::uint16_t> HttpServer::tcp_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& a : impl_->tcp_acceptors) {
    boost::system::error_code ec;
    const tcp::endpoint ep = a->local_endpoint(ec);
    ports.push_back(ec ? 0 : ep.port());
  }
  return ports;
}

const NetStats& HttpServer::stats() const noexcept { return impl_->stats; }

std::size_t HttpServer::connection_objects() const { return impl_->sessions.size(); }

}  // namespace tw::net
