#pragma once
// The SIPREC recording server's signalling (RFC 7866): SIP over UDP and TCP, INVITE /
// re-INVITE / ACK / BYE / CANCEL / OPTIONS, the SDP answer and the RFC 7865 metadata,
// through libre (BSD-3: SIP transactions, dialogs and SDP; Debian libre-dev). libre owns a
// thread of ours, on which its re_main loop runs; everything libre does, every call into
// the sink and every log line happen there. No RTP: the media side binds the ports the
// answers name (see docs/siprec.md).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sip/session_timer.h"
#include "sip/siprec_metadata.h"
#include "siprec/rtp_port_pool.h"
#include "siprec/session_sink.h"

namespace tw::siprec {

/// How bad a log line is.
enum class LogLevel { info, warning, error };

/// Receives log lines (one line each, no trailing newline). Called on the SIP thread, and
/// from start() and stop(); must not block.
using LogCallback = std::function<void(LogLevel level, std::string_view line)>;

/// Settings of the recording server's signalling.
struct SiprecConfig {
  std::string listen_address = "127.0.0.1";  ///< localhost unless told (issue 24, "Security")
  std::uint16_t listen_port = 5060;          ///< for UDP and TCP alike (RFC 3261 §18); 0: one the system picks
  bool udp = true;
  bool tcp = true;
  /// SIP over TLS (RFC 3261 §26.2) on tls_port, with this certificate chain and key (PEM
  /// files; `serve` passes its --tls-cert and --tls-key). Empty: no TLS.
  std::string tls_cert_file, tls_key_file;
  std::uint16_t tls_port = 5061;  ///< 0: one the system picks
  /// The address the SDP answer names for RTP (c= line); "" for listen_address. Must be an
  /// address the SRC can reach: a wildcard listen address needs it set.
  std::string media_address;
  std::uint16_t rtp_port_first = 20000;  ///< RTP port range, RTP even and RTCP odd (RFC 3550 §11)
  std::uint16_t rtp_port_last = 20999;
  /// SRC addresses allowed (CIDR). Anything else gets 403 and a log line. Default: loopback only.
  std::vector<std::string> allow = {"127.0.0.0/8", "::1/128"};
  /// Agent patterns for who is who (sip/stream_roles.h: globs on participant AoRs).
  std::vector<std::string> agent_patterns;
  std::size_t max_sessions = 200;   ///< more concurrent sessions get 503 with Retry-After
  std::uint32_t retry_after_s = 30;  ///< the Retry-After of that 503 (RFC 3261 §20.33)
  /// 0 (the normal case): an INVITE is answered 200 at once. Otherwise 180 Ringing first and
  /// the 200 this many milliseconds later; tests use it to open the window in which a CANCEL
  /// meets an unanswered INVITE.
  std::uint32_t answer_delay_ms = 0;
  std::string contact_user = "tonewatch";  ///< user part of our Contact URI
  /// Where the answers' RTP ports come from; null: a pool of rtp_port_first..rtp_port_last
  /// that only books numbers (the media side then binds them). Must outlive the signalling.
  RtpPortAllocator* port_allocator = nullptr;
  sip::MetadataLimits metadata_limits;     ///< bounds on each metadata document and on the merged model
  /// Our Min-SE (RFC 4028 §5): an INVITE asking for a shorter Session-Expires gets 422. The
  /// RFC's floor of 90 s in service; the constructor takes less for tests only.
  std::uint32_t min_session_expires_s = sip::kMinSessionExpiresS;
};

/// The signalling of a SIPREC Session Recording Server, on its own thread.
class SiprecSignalling {
 public:
  /// Checks the configuration (throws std::invalid_argument naming the field); starts nothing.
  /// `sink` and `log` must outlive this object.
  SiprecSignalling(SiprecConfig config, SiprecSessionSink& sink, LogCallback log);
  /// stop().
  ~SiprecSignalling();
  SiprecSignalling(const SiprecSignalling&) = delete;
  SiprecSignalling& operator=(const SiprecSignalling&) = delete;

  /// Starts the SIP thread and listens. Returns when the sockets are bound; throws
  /// std::runtime_error naming the address when they cannot be (port in use...). Once only.
  void start();
  /// Ends every session (BYE to the SRC, on_session_end with `shutdown`), closes the sockets
  /// and joins the thread. Idempotent; not from the SIP thread (a sink callback).
  void stop();

  /// Ends a session from our side: BYE to the SRC, then on_session_end with `local` (unless
  /// it ended otherwise first). For the media side (RTP idle, media it cannot take).
  /// Returns at once; an unknown or ended id is ignored. Any thread but the SIP thread.
  void end_session(std::uint64_t id);

  /// The SIP port listened on (the one configured, or the one the system chose for port
  /// 0), once start() has returned; 0 before.
  std::uint16_t port() const noexcept { return bound_port_.load(std::memory_order_relaxed); }
  /// The SIP-over-TLS port once start() has returned; 0 without TLS.
  std::uint16_t tls_port() const noexcept { return bound_tls_port_.load(std::memory_order_relaxed); }

  /// Sessions in progress (answered or being answered). Any thread.
  std::size_t session_count() const noexcept { return session_count_.load(std::memory_order_relaxed); }
  /// Requests refused because their source was not allowed (403). Any thread.
  std::uint64_t forbidden_count() const noexcept { return forbidden_count_.load(std::memory_order_relaxed); }

  /// Diagnostics libre wrote for stderr (undecodable SIP messages above all), taken into
  /// the log instead. Any thread.
  std::uint64_t libre_diagnostic_count() const noexcept { return libre_diagnostics_.load(std::memory_order_relaxed); }

  struct Impl;  ///< the libre side (siprec_signalling.cpp); public only for its C callbacks

 private:
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<std::size_t> session_count_{0};
  std::atomic<std::uint64_t> forbidden_count_{0};
  std::atomic<std::uint64_t> libre_diagnostics_{0};
  std::atomic<std::uint16_t> bound_port_{0};
  std::atomic<std::uint16_t> bound_tls_port_{0};
  bool started_ = false;
};

}  // namespace tw::siprec
