#pragma once
// SIPREC in the server (issue 24): the recording server's SIP signalling
// (siprec::SiprecSignalling, on libre's thread) joined to the media (a SiprecMedia per
// session, reading the UDP receiver's port pairs), so that each recording session is a
// call like any other ingest's.
//
// Threads:
//  - "tw-sip" (libre): INVITEs, re-INVITEs, BYEs. It books RTP ports through this
//    class's RtpPortAllocator side, which binds them at once (UdpReceiver::reserve), so
//    every port an SDP answer names is already ours and RTP that comes before the media
//    is set up waits in the kernel. Its session callbacks copy what they need into a
//    queue and return: the SIP thread never waits for the media.
//  - "tw-siprec": takes the queue in order (start, updates, end of each session):
//    opens and ends the calls, declares holds, updates metadata, and once a second ends
//    a session whose RTP stopped (--idle-timeout) with a BYE.
//  - "tw-rtp" (UdpReceiver): the datagrams, into each session's jitter buffers.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/udp_receiver.h"
#include "server/ingest_context.h"
#include "server/siprec_media.h"
#include "siprec/siprec_signalling.h"

namespace tw::server {

/// Settings of the SIPREC ingest.
struct SiprecIngestConfig {
  /// Signalling: listen address and port, transports, RTP port range, allow list,
  /// agent patterns, session limit. Its port_allocator is this ingest (set here).
  siprec::SiprecConfig sip;
  /// Where the RTP sockets bind; "" for the SIP listen address.
  std::string media_bind_address;
  int jitter_depth_ms = 80;    ///< each stream's reorder window (RtpJitterConfig::depth_ms)
  /// A session none of whose streams brought a datagram for this long, and not on hold,
  /// ends (BYE), as a connection that completes no message does on the other ingests.
  double idle_timeout_s = 30.0;
};

/// What the ingest counted, for /metrics.
struct SiprecIngestStats {
  std::atomic<std::uint64_t> sessions_started{0};   ///< sessions whose call opened
  std::atomic<std::uint64_t> sessions_refused{0};   ///< answered sessions whose media could not be taken (BYE sent)
  std::atomic<std::uint64_t> sessions_ended{0};     ///< calls ended, whatever the reason
  std::atomic<std::uint64_t> idle_timeouts{0};      ///< of which for RTP idle
  std::atomic<std::uint64_t> holds{0};              ///< streams put on hold by a re-INVITE
  std::atomic<std::uint64_t> metadata_updates{0};   ///< re-INVITEs that brought new metadata
  std::atomic<std::uint64_t> ignored_streams{0};    ///< accepted streams beyond the two a call analyses, or added mid-call
  std::atomic<std::uint64_t> lost_packets{0};       ///< RTP lost, of the sessions ended
  std::atomic<std::uint64_t> late_packets{0};       ///< RTP late or duplicate, of the sessions ended
  std::atomic<std::uint64_t> malformed_datagrams{0};  ///< not RTP or RTCP, of the sessions ended
  std::atomic<std::uint64_t> srtp_refused{0};  ///< SRTP that failed authentication or replay checks, of the sessions ended
};

class SiprecIngest final : private siprec::SiprecSessionSink, private siprec::RtpPortAllocator {
 public:
  /// Checks the configuration (std::invalid_argument naming what is wrong); binds nothing.
  /// `context` must outlive this object.
  SiprecIngest(IngestContext& context, SiprecIngestConfig config);
  /// stop().
  ~SiprecIngest() override;
  SiprecIngest(const SiprecIngest&) = delete;
  SiprecIngest& operator=(const SiprecIngest&) = delete;

  /// Listens for SIP and starts the threads; std::runtime_error naming the address when
  /// it cannot bind.
  void start();
  /// Ends every session (BYE to each SRC), ends their calls (analysed to the end and
  /// written), and joins the threads. Idempotent.
  void stop();

  /// The SIP port (the configured one, or the one chosen for port 0); 0 before start().
  std::uint16_t sip_port() const noexcept { return signalling_ ? signalling_->port() : 0; }
  /// The SIP-over-TLS port; 0 without TLS.
  std::uint16_t sip_tls_port() const noexcept { return signalling_ ? signalling_->tls_port() : 0; }
  /// Sessions with a call open now.
  std::size_t active_sessions() const noexcept { return active_.load(std::memory_order_relaxed); }
  const SiprecIngestStats& stats() const noexcept { return stats_; }
  const net::UdpReceiverStats& udp_stats() const noexcept { return receiver_->stats(); }
  /// Requests refused for their source address (403).
  std::uint64_t forbidden() const noexcept { return signalling_ ? signalling_->forbidden_count() : 0; }
  /// The ingest's Prometheus lines (tonewatch_siprec_*).
  std::string metrics_text() const;

 private:
  // A session's step, queued by the SIP thread for the media thread.
  struct Command {
    enum class Kind { start, update, end } kind = Kind::start;
    siprec::SessionInfo info;       // start, update
    siprec::SessionChange change;   // update
    std::uint64_t id = 0;
    siprec::SessionEndReason reason = siprec::SessionEndReason::bye;  // end
    std::map<std::uint16_t, std::unique_ptr<net::UdpReceiver::Pair>> pairs;  // ports booked for it, by RTP port
  };
  struct Session {
    std::unique_ptr<SiprecMedia> media;
    std::vector<std::size_t> media_index;  // for each analysed stream, its m= line
    std::vector<bool> on_hold;             // per analysed stream
    std::int64_t started_ns = 0;
  };

  // SiprecSessionSink (SIP thread).
  void on_session_start(const siprec::SessionInfo& info) override;
  void on_session_update(const siprec::SessionInfo& info, const siprec::SessionChange& change) override;
  void on_session_end(std::uint64_t id, siprec::SessionEndReason reason) override;
  // RtpPortAllocator (SIP thread).
  std::optional<std::uint16_t> acquire() override;
  void release(std::uint16_t rtp_port) noexcept override;

  void push(Command command);
  std::map<std::uint16_t, std::unique_ptr<net::UdpReceiver::Pair>> take_pairs(const siprec::SessionInfo& info);
  // The media thread.
  void run();
  void start_session(Command& command);
  void update_session(Command& command);
  void end_session(std::uint64_t id, telephony::EndReason reason, const std::string& detail);
  void end_idle_sessions();

  IngestContext& context_;
  SiprecIngestConfig config_;
  SiprecIngestStats stats_;
  std::unique_ptr<net::UdpReceiver> receiver_;
  std::unique_ptr<siprec::SiprecSignalling> signalling_;

  std::mutex reserved_mutex_;  // SIP thread and media thread, briefly
  std::map<std::uint16_t, std::unique_ptr<net::UdpReceiver::Pair>> reserved_;  // booked, not yet a session's

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Command> queue_;
  bool stopping_ = false;
  std::thread thread_;
  bool started_ = false;

  std::map<std::uint64_t, Session> sessions_;  // media thread only
  std::atomic<std::size_t> active_{0};
};

}  // namespace tw::server
