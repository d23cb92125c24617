// Raw TCP connections (AudioSocket): TcpSession compiled once, apart from Beast's HTTP code.
#include "net/tcp_session.h"

#include <boost/asio/dispatch.hpp>

#include "net/connection_starts.h"

namespace tw::net::detail {

void start_tcp_session(ConnectionStream stream, const TcpRoute& route, NetStats& stats, SessionRegistry& sessions,
                       std::shared_ptr<void> slot) {
  const std::string remote = remote_of(stream.socket());
  auto session = std::make_shared<TcpSession>(std::move(stream), route, stats, sessions);
  session->hold(std::move(slot));
  asio::dispatch(session->executor(), [session, remote] { session->start(remote); });
}

}  // namespace tw::net::detail
