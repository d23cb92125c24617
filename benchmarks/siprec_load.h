#pragma once
// SIPREC calls for serve_load (issue 24): what a session border controller forking N calls
// to `tonewatch serve --siprec` does. SIPp (Debian sip-tester) sets up each recording
// session with tests/siprec/scenarios/siprec_media_call.xml (INVITE with two labelled
// PCMU streams and RFC 7865 metadata, ACK, a pause as long as the run, BYE); the server's
// log line for each session (`siprec_session_started`: its call id and RTP ports) starts
// that call's RTP, which this sends at real-time pace: one 20 ms PCMU packet per stream
// per tick (RFC 3550 §5.1 headers), all calls' packets of a tick in sendmmsg(2) batches
// from one socket, as a media relay would.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bench {

class SiprecLoad {
 public:
  using Clock = std::chrono::steady_clock;
  /// One call's timing, for the alert latencies: when its chunk k was sent.
  struct Call {
    std::string id;  // the server's call id
    std::array<std::uint16_t, 2> ports{};
    Clock::time_point started_at;
    std::size_t next = 0;  // the next chunk
    std::vector<Clock::time_point> sent_at;
  };

  /// `caller`, `agent`: the example's 20 ms chunks as µ-law octets (160 each).
  /// `server_log`: the file the server's stderr goes to (read from its end as it grows).
  SiprecLoad(std::vector<std::array<std::uint8_t, 160>> caller, std::vector<std::array<std::uint8_t, 160>> agent,
             std::string server_log);
  ~SiprecLoad();
  SiprecLoad(const SiprecLoad&) = delete;
  SiprecLoad& operator=(const SiprecLoad&) = delete;

  /// Starts SIPp: `calls` sessions against 127.0.0.1:`sip_port`, started evenly over
  /// `ramp_s`, each held `hold_s` before its BYE. Throws std::runtime_error if sipp
  /// cannot be started.
  void start_sipp(std::uint16_t sip_port, int calls, double ramp_s, double hold_s);
  /// Picks up sessions the server has started since the last call (its log), then sends
  /// every packet due by `now` (stops sending at stop()).
  void tick(Clock::time_point now);
  /// No more RTP.
  void stop() { stopped_ = true; }
  /// Waits for SIPp (at most timeout_s, then kills it); its exit status (0: every call
  /// went as the scenario says).
  int wait_sipp(double timeout_s);

  /// The calls seen so far, by the server's call id.
  const std::map<std::string, std::unique_ptr<Call>>& calls() const { return calls_; }
  std::uint64_t datagrams_sent() const { return sent_; }
  std::uint64_t send_errors() const { return send_errors_; }

 private:
  void read_log();

  std::vector<std::array<std::uint8_t, 160>> caller_, agent_;
  std::string log_path_;
  std::size_t log_offset_ = 0;
  std::string partial_line_;
  std::map<std::string, std::unique_ptr<Call>> calls_;
  int socket_ = -1;
  pid_t sipp_ = -1;
  bool stopped_ = false;
  std::uint64_t sent_ = 0, send_errors_ = 0;
};

}  // namespace bench
