#pragma once
// The types a connection's I/O objects have. Internal to the net layer.
//
// Every connection belongs to one event loop (one io_context, run by one network
// thread), so its handlers never run concurrently and need no strand. Its socket,
// stream and timer name that loop's concrete executor type rather than Asio's
// type-erased any_io_executor: with the erased type, Asio 1.18 wraps each
// completion that is posted rather than read (the second WebSocket message of a
// read holding two) in a heap-allocated function, and its per-thread recycling
// cache cannot keep up with hundreds of connections. Measured: about one
// allocation per message at 100 connections (tests/net/test_http_server.cpp).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

namespace tw::net::detail {

using ConnectionExecutor = boost::asio::io_context::executor_type;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor>;
using ConnectionStream = boost::beast::basic_stream<boost::asio::ip::tcp, ConnectionExecutor>;
using ConnectionTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                      ConnectionExecutor>;

}  // namespace tw::net::detail
