#include "net/udp_receiver.h"

#include <pthread.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tw::net {
namespace asio = boost::asio;
using Socket = asio::basic_datagram_socket<asio::ip::udp, asio::io_context::executor_type>;

namespace {
std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// The loop, its thread, the range's cursor, and the one set of batch buffers every
// pair reads into (only the loop thread reads, so one set serves them all and stays warm).
struct UdpReceiver::Loop {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  asio::ip::address address;
  std::uint16_t first_port = 0, last_port = 0;
  std::mutex cursor_mutex;  // open() may come from any thread; never taken on the loop per datagram
  std::uint32_t cursor = 0;  // the next pair to try, as an index into the range's pairs
  std::array<std::array<std::uint8_t, kMaxDatagramBytes>, kBatch> buffers{};
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> headers{};
  // Room for each datagram's SO_RXQ_OVFL count (a uint32 in a control message).
  static constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(std::uint32_t));
  alignas(cmsghdr) std::array<std::array<std::uint8_t, kControlBytes>, kBatch> control{};
  std::thread thread;
};

struct UdpReceiver::Pair::State : std::enable_shared_from_this<UdpReceiver::Pair::State> {
  State(Loop& l, UdpReceiverStats& s, DatagramSink* k) : loop(l), stats(s), sink(k), rtp(l.context.get_executor()), rtcp(l.context.get_executor()) {}
  Loop& loop;
  UdpReceiverStats& stats;
  DatagramSink* sink;  // null while reserved (nothing is read); set before the loop first reads
  Socket rtp, rtcp;
  bool closed = false;  // loop thread only
  std::array<std::uint32_t, 2> overflow_seen{};  // each socket's last SO_RXQ_OVFL count (loop thread)

  void arm(Socket& socket, bool is_rtcp) {
    socket.async_wait(Socket::wait_read, [self = shared_from_this(), &socket, is_rtcp](const boost::system::error_code& ec) {
      if (ec || self->closed) return;
      self->drain(socket, is_rtcp);
      if (!self->closed) self->arm(socket, is_rtcp);
    });
  }

  // Everything the socket holds, a batch per system call.
  void drain(Socket& socket, bool is_rtcp) noexcept {
    for (;;) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        loop.iov[i] = iovec{loop.buffers[i].data(), kMaxDatagramBytes};
        loop.headers[i] = mmsghdr{};
        loop.headers[i].msg_hdr.msg_iov = &loop.iov[i];
        loop.headers[i].msg_hdr.msg_iovlen = 1;
        loop.headers[i].msg_hdr.msg_control = loop.control[i].data();
        loop.headers[i].msg_hdr.msg_controllen = Loop::kControlBytes;
      }
      const int n = ::recvmmsg(socket.native_handle(), loop.headers.data(), static_cast<unsigned>(kBatch), MSG_DONTWAIT,
                               nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          stats.receive_errors.fetch_add(1, std::memory_order_relaxed);
        }
        return;
      }
      stats.batches.fetch_add(1, std::memory_order_relaxed);
      const std::int64_t now = steady_ns();
      std::uint64_t bytes = 0, truncated = 0;
      for (int i = 0; i < n && !closed; ++i) {
        const mmsghdr& h = loop.headers[static_cast<std::size_t>(i)];
        const bool cut = (h.msg_hdr.msg_flags & MSG_TRUNC) != 0;
        truncated += cut ? 1 : 0;
        bytes += h.msg_len;
        count_overflow(h.msg_hdr, is_rtcp);
        sink->on_datagram(std::span<const std::uint8_t>(loop.buffers[static_cast<std::size_t>(i)].data(), h.msg_len),
                          is_rtcp, now, cut);
      }
      stats.datagrams.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
      if (truncated > 0) stats.truncated.fetch_add(truncated, std::memory_order_relaxed);
      if (static_cast<std::size_t>(n) < kBatch) return;  // the socket is empty
    }
  }

  // The kernel's count of datagrams dropped on this socket, sent along with a datagram
  // (SO_RXQ_OVFL, socket(7)): a cumulative 32-bit counter, so the difference is added.
  void count_overflow(const msghdr& header, bool is_rtcp) noexcept {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&header), const_cast<cmsghdr*>(c))) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL) continue;
      std::uint32_t total = 0;
      std::memcpy(&total, CMSG_DATA(c), sizeof total);
      std::uint32_t& seen = overflow_seen[is_rtcp ? 1 : 0];
      if (total != seen) stats.kernel_dropped.fetch_add(static_cast<std::uint32_t>(total - seen), std::memory_order_relaxed);
      seen = total;
    }
  }

  // On the loop thread.
  void shut() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    rtp.close(ignored);
    rtcp.close(ignored);
    stats.pairs_open.fetch_sub(1, std::memory_order_relaxed);
  }
};

UdpReceiver::UdpReceiver(const std::string& address, std::uint16_t first_port, std::uint16_t last_port)
    : loop_(std::make_unique<Loop>()) {
  boost::system::error_code ec;
  loop_->address = asio::ip::make_address(address, ec);
  if (ec) throw std::invalid_argument("UdpReceiver: '" + address + "' is not an IP address");
  if (first_port == 0 || first_port % 2 != 0 || last_port <= first_port) {
    throw std::invalid_argument("UdpReceiver: the port range " + std::to_string(first_port) + "-" +
                                std::to_string(last_port) +
                                " must start on a non-zero even port and hold at least one pair (RFC 3550 §11)");
  }
  loop_->first_port = first_port;
  loop_->last_port = last_port;
  loop_->thread = std::thread([&context = loop_->context] {
    pthread_setname_np(pthread_self(), "tw-rtp");  // named for top -H, perf and serve_load
    context.run();
  });
}

UdpReceiver::~UdpReceiver() {
  loop_->work.reset();
  loop_->context.stop();
  loop_->thread.join();
}

namespace {
// Binds `rtp` and `rtcp` at the pair starting at `port`, non-blocking and counting the
// kernel's drops; false (both closed) if either cannot be bound.
bool bind_pair(const asio::ip::address& address, std::uint16_t port, Socket& rtp, Socket& rtcp) {
  boost::system::error_code ec;
  const auto protocol = address.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4();
  rtp.open(protocol, ec);
  if (!ec) rtp.bind({address, port}, ec);
  if (!ec) rtcp.open(protocol, ec);
  if (!ec) rtcp.bind({address, static_cast<std::uint16_t>(port + 1)}, ec);
  if (!ec) rtp.non_blocking(true, ec);
  if (!ec) rtcp.non_blocking(true, ec);
  if (ec) {
    boost::system::error_code ignored;
    rtp.close(ignored);
    rtcp.close(ignored);
    return false;
  }
  // Every datagram the kernel drops for a full buffer is counted (socket(7)).
  const int on = 1;
  ::setsockopt(rtp.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  ::setsockopt(rtcp.native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  return true;
}
}  // namespace

std::unique_ptr<UdpReceiver::Pair> UdpReceiver::open(DatagramSink& sink) {
  auto state = std::make_shared<Pair::State>(*loop_, stats_, &sink);
  const std::uint16_t port = bind_next(*state);
  return start(std::move(state), port);
}

std::unique_ptr<UdpReceiver::Pair> UdpReceiver::reserve() {
  auto state = std::make_shared<Pair::State>(*loop_, stats_, nullptr);
  const std::uint16_t port = bind_next(*state);
  return start(std::move(state), port);
}

std::uint16_t UdpReceiver::bind_next(Pair::State& state) {
  const std::uint32_t pairs = (static_cast<std::uint32_t>(loop_->last_port) - loop_->first_port + 1) / 2;
  std::uint16_t port = 0;
  {
    // Round the range from where the last open left off, so a port just released is
    // the last to be taken again (a late packet of an ended call then finds no call,
    // rather than the next one).
    std::lock_guard<std::mutex> lock(loop_->cursor_mutex);
    for (std::uint32_t tried = 0; tried < pairs && port == 0; ++tried) {
      const auto candidate = static_cast<std::uint16_t>(loop_->first_port + 2 * ((loop_->cursor + tried) % pairs));
      if (!bind_pair(loop_->address, candidate, state.rtp, state.rtcp)) continue;  // in use: the next pair
      port = candidate;
      loop_->cursor = (loop_->cursor + tried + 1) % pairs;
    }
  }
  return port;
}

std::unique_ptr<UdpReceiver::Pair> UdpReceiver::open_at(std::uint16_t rtp_port, DatagramSink& sink) {
  auto state = std::make_shared<Pair::State>(*loop_, stats_, &sink);
  const bool in_range = rtp_port % 2 == 0 && rtp_port >= loop_->first_port && rtp_port < loop_->last_port;
  if (!in_range || !bind_pair(loop_->address, rtp_port, state->rtp, state->rtcp)) rtp_port = 0;
  return start(std::move(state), rtp_port);
}

// A bound pair starts reading (port 0: nothing was bound, the open is refused).
std::unique_ptr<UdpReceiver::Pair> UdpReceiver::start(std::shared_ptr<Pair::State> state, std::uint16_t port) {
  if (port == 0) {
    stats_.pairs_refused.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  stats_.pairs_open.fetch_add(1, std::memory_order_relaxed);
  auto pair = std::unique_ptr<Pair>(new Pair(state, port));
  if (state->sink != nullptr) pair->arm();
  return pair;
}

// The sockets are only touched on the loop from here on.
void UdpReceiver::Pair::arm() {
  armed_ = true;
  asio::post(state_->loop.context, [state = state_] {
    state->arm(state->rtp, false);
    state->arm(state->rtcp, true);
  });
}

void UdpReceiver::Pair::attach(DatagramSink& sink) {
  if (!state_ || armed_) throw std::logic_error("UdpReceiver::Pair::attach: the pair is closed or already delivering");
  // Written before the post: the loop reads it only in handlers the post sets up.
  state_->sink = &sink;
  arm();
}

UdpReceiver::Pair::~Pair() { close(); }

void UdpReceiver::Pair::close() {
  if (!state_) return;
  std::shared_ptr<State> state = std::move(state_);
  if (!armed_ || state->loop.context.get_executor().running_in_this_thread()) {
    // Never armed: the loop has no handler on these sockets, so they close here.
    state->shut();
    return;
  }
  if (state->loop.context.stopped()) {
    state->shut();  // the loop has ended: nothing else touches the sockets
    return;
  }
  // Closed on the loop, and waited for: once this returns the sink hears nothing more.
  std::promise<void> done;
  std::future<void> closed = done.get_future();
  asio::post(state->loop.context, [state, &done] {
    state->shut();
    done.set_value();
  });
  closed.wait();
}

}  // namespace tw::net
