#pragma once
// UDP datagrams in, for media: the RTP (and RTCP) ports of SIPREC streams (issue 24).
//
// One event loop on its own thread ("tw-rtp"), apart from the HTTP/WebSocket loops, so
// that media never waits behind a slow request and the other way round. Ports are
// opened in pairs (RTP on an even port, RTCP on the next: RFC 3550 §11) from a range,
// and each datagram goes to its pair's sink on the loop thread, with its arrival time.
// Reading is batched: when a socket is readable the loop takes up to kBatch datagrams
// per recvmmsg(2) call into buffers made once, so a busy port costs one system call
// per batch, and nothing is allocated per datagram.
//
// Why not the SIP stack's RTP (libre): it allocates a buffer per received datagram,
// and the media path may not allocate per packet.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace tw::net {

/// Where a port pair's datagrams go. Called on the receiver's loop thread only, one
/// datagram at a time; must not block (hand the audio on, as the ingests do).
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  /// A datagram that arrived on the pair's RTP port (`rtcp` false) or its RTCP port.
  /// `arrival_ns` is the steady clock when its batch was read. The bytes are valid
  /// during the call only. `truncated`: it was longer than the receiver's buffer
  /// (kMaxDatagramBytes) and cut.
  virtual void on_datagram(std::span<const std::uint8_t> bytes, bool rtcp, std::int64_t arrival_ns,
                           bool truncated) noexcept = 0;
};

/// What the receiver counted, for /metrics.
struct UdpReceiverStats {
  std::atomic<std::uint64_t> datagrams{0};         ///< datagrams delivered to sinks
  std::atomic<std::uint64_t> bytes{0};             ///< their bytes
  std::atomic<std::uint64_t> batches{0};           ///< recvmmsg calls that returned datagrams
  std::atomic<std::uint64_t> truncated{0};         ///< datagrams longer than kMaxDatagramBytes, cut
  /// Datagrams the kernel dropped because a socket's receive buffer was full (its
  /// SO_RXQ_OVFL count, socket(7)), learnt with the next datagram read from that socket.
  std::atomic<std::uint64_t> kernel_dropped{0};
  std::atomic<std::uint64_t> receive_errors{0};    ///< recvmmsg failures other than "nothing to read"
  std::atomic<std::uint64_t> pairs_open{0};        ///< port pairs open now
  std::atomic<std::uint64_t> pairs_refused{0};     ///< opens refused: every port of the range taken
};

/// The media sockets and their loop.
class UdpReceiver {
 public:
  /// Datagrams read per recvmmsg call at most.
  static constexpr std::size_t kBatch = 32;
  /// Longest datagram kept whole: an Ethernet MTU's worth (RTP over UDP is sent within it).
  static constexpr std::size_t kMaxDatagramBytes = 1500;

  /// Binds nothing yet; ports come from [first_port, last_port] on `address` (an IPv4
  /// or IPv6 literal). Throws std::invalid_argument for a bad address, or a range
  /// that is empty, odd-started or holds no pair.
  UdpReceiver(const std::string& address, std::uint16_t first_port, std::uint16_t last_port);
  /// Closes every pair and joins the loop thread.
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  /// An open port pair; closing it (or destroying it) stops its datagrams. The sink
  /// must outlive the pair.
  class Pair {
   public:
    ~Pair();
    Pair(const Pair&) = delete;
    Pair& operator=(const Pair&) = delete;
    std::uint16_t rtp_port() const noexcept { return rtp_port_; }
    std::uint16_t rtcp_port() const noexcept { return static_cast<std::uint16_t>(rtp_port_ + 1); }
    /// Stops delivery and releases the ports. After it returns the sink is not
    /// called again. Not from the sink itself.
    void close();
    /// For a pair from reserve(): its datagrams go to `sink` from now on, those the
    /// kernel held since the bind first. Once; the sink must outlive the pair. Any thread.
    void attach(DatagramSink& sink);

   private:
    friend class UdpReceiver;
    struct State;
    Pair(std::shared_ptr<State> state, std::uint16_t rtp_port) : state_(std::move(state)), rtp_port_(rtp_port) {}
    void arm();
    std::shared_ptr<State> state_;
    std::uint16_t rtp_port_;
    bool armed_ = false;  // the loop reads its sockets (a sink is attached)
  };

  /// Binds the next free even port of the range and the one after it, and delivers
  /// their datagrams to `sink`. Returns null when no pair of the range can be bound
  /// (all in use, here or by other programs), counted in pairs_refused. Any thread.
  std::unique_ptr<Pair> open(DatagramSink& sink);
  /// Binds the pair at `rtp_port` (even, within the range) and `rtp_port` + 1, for
  /// ports chosen elsewhere (the SIP signalling's answer names them). Null when either
  /// is in use or the port is not an even port of the range, counted in pairs_refused.
  /// Any thread.
  std::unique_ptr<Pair> open_at(std::uint16_t rtp_port, DatagramSink& sink);
  /// Binds the next free pair as open() does but reads nothing until Pair::attach():
  /// the port is booked now (the SIP answer names it) and what arrives before the
  /// session's media is set up waits in the kernel's socket buffer instead of being
  /// lost. Null as open(). Any thread.
  std::unique_ptr<Pair> reserve();

  const UdpReceiverStats& stats() const noexcept { return stats_; }

 private:
  struct Loop;
  std::unique_ptr<Pair> start(std::shared_ptr<Pair::State> state, std::uint16_t port);
  std::uint16_t bind_next(Pair::State& state);
  UdpReceiverStats stats_;
  std::unique_ptr<Loop> loop_;
};

}  // namespace tw::net
