#pragma once
// SiprecSignalling's insides, shared by the two files that define its members (internal to
// tw_siprec, never installed): siprec_signalling.cpp (the SIP thread's setup and teardown
// and the public side) and recording_dialogs.cpp (requests and the recording sessions'
// dialogs). Here so that the class's state is declared once for both.
//
// Include it last: it ends with libre's <re.h> (see below), and needs HAVE_STDBOOL_H and
// HAVE_INET6, which CMake sets for the files that include it.

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/session_timer.h"
#include "sip/siprec_metadata.h"
#include "siprec/allow_list.h"
#include "siprec/rtp_port_pool.h"
#include "siprec/sdp_answerer.h"
#include "siprec/siprec_signalling.h"

// libre last: its re_types.h defines MIN/MAX/ARRAY_SIZE macros, and without HAVE_STDBOOL_H
// (set for the files including this in CMake) it would define `true` and `false` as macros in C++ too.
#include <re.h>

namespace tw::siprec {

// Members of Impl, so not in the anonymous namespace (GCC's -Wsubobject-linkage).
namespace detail {

struct ParsedRequest {
  std::string sdp;
  std::optional<sip::RecordingMetadata> metadata;
  sip::SessionTimerDecision timer;  // RFC 4028, from Session-Expires and Supported
};

struct Refusal {
  std::uint16_t code = 0;
  const char* reason = "";
  std::string detail;  // the Warning text and the log line
};

// libre's text for an errno value, for the log lines of both files (inline: defined in a header).
inline std::string error_text(int err) {
  char buffer[128] = {};
  return str_error(err, buffer, sizeof buffer);
}

}  // namespace detail

using detail::ParsedRequest;
using detail::Refusal;
using detail::error_text;

// One recording session (one SIP dialog). Lives on the SIP thread only.
struct RecordingSession {
  SiprecSignalling::Impl* impl = nullptr;
  std::uint64_t id = 0;
  struct sipsess* sess = nullptr;
  std::unique_ptr<SdpAnswerer> sdp;
  struct mbuf* answer = nullptr;  // the 200's SDP while the answer waits (answer_delay_ms)
  struct tmr answer_timer {};
  // RFC 4028: the session interval and who refreshes; session_timer fires at the refresh
  // (we refresh) or at the deadline (the SRC refreshes and has not).
  sip::SessionTimerDecision timer;
  struct tmr session_timer {};
  SessionInfo info;
  sip::RecordingMetadata metadata;
  bool started = false;
  bool ended = false;

  RecordingSession() = default;
  RecordingSession(const RecordingSession&) = delete;
  RecordingSession& operator=(const RecordingSession&) = delete;
  ~RecordingSession() {
    tmr_cancel(&answer_timer);
    tmr_cancel(&session_timer);
    mem_deref(answer);
    // A sipsess not yet terminated sends BYE (established) or 486 (still being answered)
    // from its destructor, and stops calling our handlers first (libre sess.c termwait).
    mem_deref(sess);
  }
};

struct SiprecSignalling::Impl {
  Impl(SiprecSignalling& owner_in, SiprecConfig config_in, SiprecSessionSink& sink_in, LogCallback log_in)
      : owner(owner_in),
        config(std::move(config_in)),
        sink(sink_in),
        log(std::move(log_in)),
        allow(config.allow),
        own_ports(config.rtp_port_first, config.rtp_port_last),
        ports(config.port_allocator != nullptr ? *config.port_allocator : own_ports) {}

  SiprecSignalling& owner;
  SiprecConfig config;
  SiprecSessionSink& sink;
  LogCallback log;
  AllowList allow;
  RtpPortPool own_ports;     // used when the configuration names no allocator
  RtpPortAllocator& ports;
  // Sessions end_session() asked to end, for the SIP thread (kEndMessage).
  std::mutex end_mutex;
  std::vector<std::uint64_t> to_end;

  // libre objects, SIP thread only.
  struct sip* sip_stack = nullptr;
  struct tls* tls_context = nullptr;  // with tls_cert_file: SIP over TLS
  struct sip_lsnr* listener = nullptr;
  struct sipsess_sock* session_socket = nullptr;
  struct mqueue* queue = nullptr;
  struct tmr reap_timer {};
  struct tmr drain_timer {};  // bounds the wait for transactions at shutdown
  bool sip_exited = false;    // libre's exit handler ran: the stack is idle (sip_close without force)
  struct sa media_address {};
  std::string media_host;  // media_address as text, for the SDP answers

  // libre's stderr diagnostics (re_fprintf below): counted, logged at most every 10 s.
  std::uint64_t diagnostics_logged_at_ms = 0;
  std::uint64_t diagnostics_unlogged = 0;
  void on_libre_diagnostic(std::string_view text);

  // Whether re_main runs (and `queue` may be written to), for stop() from another thread.
  std::mutex loop_mutex;
  bool loop_running = false;
  std::promise<std::string> started;

  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::unique_ptr<RecordingSession>> sessions;
  std::vector<std::unique_ptr<RecordingSession>> ended;  // freed by reap_timer, outside libre's callbacks
  // The request the gate checked, handed to libre's session layer in the same call chain
  // (sip_listen handlers run one after the other for one message: ours, then sipsess's).
  const sip_msg* pending_message = nullptr;
  ParsedRequest pending;

  void info(const std::string& line) const { log(LogLevel::info, line); }
  void warn(const std::string& line) const { log(LogLevel::warning, line); }

  // --- the thread -------------------------------------------------------------------
  void run();
  std::string setup();
  /// `drain`: the loop ran, so transactions may be in flight (the BYEs of the sessions this
  /// ends): they are given up to 2 s to finish before the stack is closed by force.
  void teardown(bool drain = false);

  // --- requests ---------------------------------------------------------------------
  bool source_allowed(const sa& source) const;
  void reply(const sip_msg* msg, std::uint16_t code, const char* reason, const std::string& headers = {},
             const std::string& warning = {});
  void refuse(const sip_msg* msg, const Refusal& refusal, const std::string& headers = {});
  bool on_request(const sip_msg* msg);
  std::optional<Refusal> check_invite(const sip_msg* msg, std::string& headers);
  void on_connect(const sip_msg* msg);
  int on_offer(struct mbuf** description, const sip_msg* msg, RecordingSession& session);
  void on_close(int err, const sip_msg* msg, RecordingSession& session);

  // --- sessions ---------------------------------------------------------------------
  std::optional<Refusal> apply_offer(RecordingSession& session, const std::string& sdp_text, SessionChange& change);
  void update_roles(RecordingSession& session);
  void send_answer(RecordingSession& session);
  void start_session_timer(RecordingSession& session);
  void on_session_timer(RecordingSession& session);
  void finish(RecordingSession& session, std::optional<SessionEndReason> reason);
  void free_session(RecordingSession& session);
  void end_requested();
  std::string contact_for(const sip_msg* msg, const std::string& headers) const;
};

}  // namespace tw::siprec
