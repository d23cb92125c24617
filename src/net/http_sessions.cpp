// HTTP and WebSocket connections, plain and over TLS (https, wss): the TLS handshake,
// and HttpSession/WebSocketSession instantiated for both stream types. Both in one
// file: the two instantiations share most of Beast's HTTP parser and WebSocket code,
// which two files would each compile again.
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/http_session.h"

namespace tw::net::detail {

void start_http_session(HttpSessionContext& context, ConnectionStream stream, std::shared_ptr<void> slot) {
  std::make_shared<HttpSession<ConnectionStream>>(context, std::move(stream), false, std::move(slot))->run();
}

void start_https_session(HttpSessionContext& context, ConnectionStream stream, boost::asio::ssl::context& tls,
                         std::shared_ptr<void> slot) {
  using TlsStream = beast::ssl_stream<ConnectionStream>;
  auto tls_stream = std::make_shared<TlsStream>(std::move(stream), tls);
  beast::get_lowest_layer(*tls_stream).expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(context.config.handshake_timeout_s)));
  tls_stream->async_handshake(boost::asio::ssl::stream_base::server,
                              [&context, tls_stream, slot = std::move(slot)](beast::error_code ec) mutable {
                                if (ec) {
                                  context.stats.tls_failures.fetch_add(1, std::memory_order_relaxed);
                                  return;
                                }
                                std::make_shared<HttpSession<TlsStream>>(context, std::move(*tls_stream), true, std::move(slot))
                                    ->run();
                              });
}

}  // namespace tw::net::detail
