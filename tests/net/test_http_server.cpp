// The net layer on real loopback sockets. Issue 7: "No allocation per packet in
// the steady state" — once connections are open, a WebSocket message or a TCP read
// must cost the server no heap allocation, however many connections take turns on
// the event loop (Asio's per-thread recycling cache holds a block or two, so one
// connection alone would hide a per-read allocation; twenty cannot).

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "support/allocation_counter.h"
#include "support/ws_client.h"

namespace {

using Clock = std::chrono::steady_clock;

/// Counts what reaches it; allocates nothing per message.
class CountingHandler final : public tw::net::ConnectionHandler {
 public:
  CountingHandler(std::atomic<std::uint64_t>& messages, std::atomic<std::uint64_t>& bytes)
      : messages_(messages), bytes_(bytes) {}
  tw::net::Verdict on_binary(std::span<const std::uint8_t> message) override {
    ++reads_;
    bytes_.fetch_add(message.size(), std::memory_order_relaxed);
    messages_.fetch_add(1, std::memory_order_relaxed);
    return tw::net::Verdict::keep();
  }
  std::uint64_t completed_messages() const noexcept override { return reads_; }

 private:
  std::atomic<std::uint64_t>& messages_;
  std::atomic<std::uint64_t>& bytes_;
  std::uint64_t reads_ = 0;
};

// No allocation: called inside the armed region.
bool send_all(int fd, const std::uint8_t* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// The WebSocket opening handshake (RFC 6455 §4.1), then the server's 101 response read.
void websocket_handshake(int fd, std::uint16_t port) {
  const std::string request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  REQUIRE(send_all(fd, reinterpret_cast<const std::uint8_t*>(request.data()), request.size()));
  std::string response;
  char c = 0;
  while (response.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) response.push_back(c);
  REQUIRE(response.rfind("HTTP/1.1 101", 0) == 0);
}

/// A masked binary frame (RFC 6455 §5.2, §5.3: every client frame is masked).
std::vector<std::uint8_t> masked_binary_frame(std::size_t payload, std::uint8_t seed) {
  REQUIRE(payload < 65536);
  std::vector<std::uint8_t> frame{0x82};
  if (payload < 126) {
    frame.push_back(static_cast<std::uint8_t>(0x80 | payload));
  } else {
    frame.push_back(0x80 | 126);
    frame.push_back(static_cast<std::uint8_t>(payload >> 8));
    frame.push_back(static_cast<std::uint8_t>(payload & 0xff));
  }
  const std::uint8_t mask[4] = {static_cast<std::uint8_t>(seed * 7 + 1), 0x5a, 0xc3, static_cast<std::uint8_t>(seed)};
  frame.insert(frame.end(), mask, mask + 4);
  for (std::size_t i = 0; i < payload; ++i) frame.push_back(static_cast<std::uint8_t>((i + seed) ^ mask[i % 4]));
  return frame;
}

/// A loopback connection that sends each write at once (no Nagle delay between rounds).
int connect_nodelay(std::uint16_t port) {
  const int fd = tw::test::raw_connect(port);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool wait_for(const std::atomic<std::uint64_t>& counter, std::uint64_t target) noexcept {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (counter.load(std::memory_order_relaxed) < target) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

struct Loopback {
  std::atomic<std::uint64_t> ws_messages{0}, ws_bytes{0}, tcp_reads{0}, tcp_bytes{0};
  std::unique_ptr<tw::net::HttpServer> server;

  explicit Loopback(unsigned io_threads) {
    tw::net::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.io_threads = io_threads;
    tw::net::WebSocketRoute ws;
    ws.path = "/ws";
    ws.open = [this](const tw::net::Request&, std::shared_ptr<tw::net::Outbox>, tw::net::Response&) {
      return std::make_unique<CountingHandler>(ws_messages, ws_bytes);
    };
    config.websockets.push_back(std::move(ws));
    tw::net::TcpRoute tcp;
    tcp.address = "127.0.0.1:0";
    tcp.open = [this](const std::string&, std::shared_ptr<tw::net::Outbox>) {
      return std::make_unique<CountingHandler>(tcp_reads, tcp_bytes);
    };
    config.tcp.push_back(std::move(tcp));
    server = std::make_unique<tw::net::HttpServer>(std::move(config));
    server->start();
  }
};

}  // namespace

TEST_CASE("HttpServer: a message costs no heap allocation once connections are open", "[net]") {
  const unsigned io_threads = GENERATE(1u, 2u);
  CAPTURE(io_threads);
  Loopback loop(io_threads);
  const std::uint16_t http_port = loop.server->http_port();
  const std::uint16_t tcp_port = loop.server->tcp_ports().at(0);

  constexpr int kWebSockets = 96, kTcp = 8;
  // A Twilio media message is about 380 bytes (JSON around 216 base64 characters);
  // the AudioSocket frame 3 + 320 bytes.
  constexpr std::size_t kWsPayload = 380, kTcpPayload = 323;
  std::vector<int> ws_fds, tcp_fds;
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < kWebSockets; ++i) {
    ws_fds.push_back(connect_nodelay(http_port));
    REQUIRE(ws_fds.back() >= 0);
    websocket_handshake(ws_fds.back(), http_port);
    // Two messages in one write, as a media server sends both tracks of a 20 ms tick:
    // the second completes from the buffer, without a read of its own.
    frames.push_back(masked_binary_frame(kWsPayload, static_cast<std::uint8_t>(i)));
    const std::vector<std::uint8_t> second = masked_binary_frame(kWsPayload, static_cast<std::uint8_t>(i + 100));
    frames.back().insert(frames.back().end(), second.begin(), second.end());
  }
  for (int i = 0; i < kTcp; ++i) {
    tcp_fds.push_back(connect_nodelay(tcp_port));
    REQUIRE(tcp_fds.back() >= 0);
  }
  const std::vector<std::uint8_t> tcp_chunk(kTcpPayload, 0x10);

  // One round: a message on every connection, then wait until the server has read
  // them all, so every message is its own read as 20 ms packets are.
  std::uint64_t ws_sent = 0, tcp_bytes_sent = 0;
  auto round = [&]() noexcept {
    for (std::size_t i = 0; i < ws_fds.size(); ++i) {
      if (!send_all(ws_fds[i], frames[i].data(), frames[i].size())) return false;
    }
    for (int fd : tcp_fds) {
      if (!send_all(fd, tcp_chunk.data(), tcp_chunk.size())) return false;
    }
    ws_sent += 2 * ws_fds.size();
    tcp_bytes_sent += tcp_fds.size() * tcp_chunk.size();
    return wait_for(loop.ws_messages, ws_sent) && wait_for(loop.tcp_bytes, tcp_bytes_sent);
  };

  bool ok = true;
  for (int r = 0; r < 50 && ok; ++r) ok = round();  // warm-up: buffers grown, caches filled
  REQUIRE(ok);

  constexpr int kRounds = 300;
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (int r = 0; r < kRounds && ok; ++r) ok = round();
    allocations = scope.allocations();
  }
  REQUIRE(ok);
  CHECK(loop.ws_messages.load() == 2 * 350u * kWebSockets);
  CHECK(loop.ws_bytes.load() == 2 * 350u * kWebSockets * kWsPayload);
  CHECK(loop.tcp_bytes.load() == 350u * kTcp * kTcpPayload);
  INFO(kRounds * (2 * kWebSockets + kTcp) << " messages while counting");
  CHECK(allocations == 0);

  for (int fd : ws_fds) ::close(fd);
  for (int fd : tcp_fds) ::close(fd);
  loop.server->stop();
}

TEST_CASE("HttpServer: transfer codings other than a final chunked are refused", "[net][security]") {
  using tw::net::refused_transfer_coding;
  CHECK(refused_transfer_coding("chunked") == 0);
  CHECK(refused_transfer_coding("Chunked") == 0);
  CHECK(refused_transfer_coding(" chunked ,") == 0);       // empty list elements are ignored (RFC 9110 §5.6.1.2)
  CHECK(refused_transfer_coding("xchunked") == 400);       // no final chunked: the length is unknown (RFC 9112 §6.3)
  CHECK(refused_transfer_coding("chunked, gzip") == 400);
  CHECK(refused_transfer_coding("") == 400);
  CHECK(refused_transfer_coding("chunked, chunked") == 400);  // chunked applied twice (RFC 9112 §7)
  CHECK(refused_transfer_coding("gzip, chunked") == 501);     // framed, but not a coding serve implements (§6.1)
}

namespace {

std::string thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

/// Holds its event loop for `hold` on the first text message: a media loop busy with
/// hundreds of calls' packets, in the extreme.
class BlockingHandler final : public tw::net::ConnectionHandler {
 public:
  BlockingHandler(std::atomic<int>& state, std::chrono::milliseconds hold) : state_(state), hold_(hold) {}
  tw::net::Verdict on_text(std::string_view) override {
    state_.store(1);
    std::this_thread::sleep_for(hold_);
    state_.store(2);
    return tw::net::Verdict::keep();
  }

 private:
  std::atomic<int>& state_;
  std::chrono::milliseconds hold_;
};

class SilentHandler final : public tw::net::ConnectionHandler {
 public:
  tw::net::Verdict on_text(std::string_view) override { return tw::net::Verdict::keep(); }
};

}  // namespace

// A feed's messages go out one per completion, each after every ready handler of its
// loop; on the loop that carried a thousand calls' media, alerts queued for seconds.
// Listeners (idle_by_ping routes) are moved to a loop of their own at the upgrade.
TEST_CASE("HttpServer: a listener route is written on a loop of its own while the media loop is held", "[net]") {
  std::atomic<int> media_state{0};  // 0 before, 1 while its handler holds the loop, 2 after
  std::mutex mutex;
  std::shared_ptr<tw::net::Outbox> feed_outbox;
  std::string feed_thread, media_thread;

  tw::net::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.io_threads = 1;
  tw::net::WebSocketRoute media;
  media.path = "/media";
  media.open = [&](const tw::net::Request&, std::shared_ptr<tw::net::Outbox>, tw::net::Response&) {
    std::lock_guard<std::mutex> lock(mutex);
    media_thread = thread_name();
    return std::make_unique<BlockingHandler>(media_state, std::chrono::milliseconds(1500));
  };
  config.websockets.push_back(std::move(media));
  tw::net::WebSocketRoute feed;
  feed.path = "/feed";
  feed.idle_by_ping = true;
  feed.outbox_messages = 1000;
  feed.open = [&](const tw::net::Request&, std::shared_ptr<tw::net::Outbox> outbox, tw::net::Response&) {
    std::lock_guard<std::mutex> lock(mutex);
    feed_thread = thread_name();
    feed_outbox = std::move(outbox);
    return std::make_unique<SilentHandler>();
  };
  config.websockets.push_back(std::move(feed));
  tw::net::HttpServer server(std::move(config));
  server.start();

  tw::test::WsClient reader(server.http_port(), "/feed");
  REQUIRE(reader.connected());
  tw::test::WsClient caller(server.http_port(), "/media");
  REQUIRE(caller.connected());
  std::shared_ptr<tw::net::Outbox> outbox;
  for (int i = 0; i < 1000 && !outbox; ++i) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      outbox = feed_outbox;
    }
    if (!outbox) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(outbox);
  REQUIRE(caller.send_text("hold the loop"));
  for (int i = 0; i < 1000 && media_state.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(media_state.load() == 1);

  // 200 messages from another thread (as the events thread sends them): all arrive, in
  // order, while the media loop is still held.
  for (int i = 0; i < 200; ++i) REQUIRE(outbox->send("event " + std::to_string(i)));
  for (int i = 0; i < 200; ++i) {
    const auto message = reader.read(2.0);
    REQUIRE(message.has_value());
    REQUIRE(*message == "event " + std::to_string(i));
  }
  CHECK(media_state.load() == 1);
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(feed_thread == "tw-listeners");
    CHECK(media_thread == "tw-io");
  }
  // The outboxes are the sessions': none may outlive the server's event loops.
  outbox.reset();
  {
    std::lock_guard<std::mutex> lock(mutex);
    feed_outbox.reset();
  }
  reader.close();
  caller.close();
}
