// SiprecSignalling's SIP thread and public side: the thread's libre loop, setting up the
// transports and listeners and tearing them down, start/stop/end_session, and the libre
// callbacks those register. What happens to a request once it arrives (the INVITE checks,
// the offer/answer and the recording sessions' lifetime) is in recording_dialogs.cpp; the
// state both share is declared in siprec_signalling_impl.h.

#include "siprec/siprec_signalling.h"

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "sip/sip_text.h"
#include "siprec/libre_diagnostics.h"
// Last: it ends with libre's <re.h>.
#include "siprec/siprec_signalling_impl.h"
// Not part of re.h: dbg_init. It wants a module name and level for its
// DEBUG_* macros, which this file does not use.
#define DEBUG_MODULE "tonewatch"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

namespace tw::siprec {

std::string_view to_string(SessionEndReason reason) noexcept {
  switch (reason) {
    case SessionEndReason::bye: return "bye";
    case SessionEndReason::timeout: return "timeout";
    case SessionEndReason::shutdown: return "shutdown";
    case SessionEndReason::local: return "local";
    case SessionEndReason::expired: return "expired";
    case SessionEndReason::error: return "error";
  }
  return "error";
}

namespace {

constexpr int kStopMessage = 1;

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), {});
  return !out.empty();
}

constexpr int kEndMessage = 2;  // end_session(): the ids wait in Impl::to_end

std::once_flag g_libre_once;
int g_libre_init_error = 0;

// C callbacks: libre calls these on the SIP thread.
bool request_handler(const sip_msg* msg, void* arg) {
  return static_cast<SiprecSignalling::Impl*>(arg)->on_request(msg);
}
void connect_handler(const sip_msg* msg, void* arg) { static_cast<SiprecSignalling::Impl*>(arg)->on_connect(msg); }
void queue_handler(int id, void*, void* arg) {
  // re_cancel acts on the calling thread's loop: this runs on the SIP thread.
  if (id == kStopMessage) re_cancel();
  if (id == kEndMessage) static_cast<SiprecSignalling::Impl*>(arg)->end_requested();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The thread

void SiprecSignalling::Impl::run() {
  // A libre loop of this thread's own (re_main.h: re_thread_init), so that several
  // instances, and any other libre user in the process, each have theirs.
  // libre's stderr diagnostics on this thread come to this signalling's log (libre_diagnostics.h).
  set_thread_diagnostic_handler(
      [](void* context, std::string_view text) { static_cast<Impl*>(context)->on_libre_diagnostic(text); }, this);
  int err = re_thread_init();
  if (err != 0) {
    started.set_value("re_thread_init: " + error_text(err));
    return;
  }
  // libre watches at most FD_SETSIZE (1024) descriptors a thread unless told (main.c:
  // fd_setsize), and refuses any numbered higher with EMFILE. In a serve process with
  // hundreds of calls (WebSockets, RTP pairs, output files) the SIP sockets and the TCP and
  // TLS connections accepted later are numbered past that, so the bound is the process's
  // open-file limit (serve raises it to the hard limit), capped so that libre's two
  // per-descriptor tables stay small (65,536 entries: about 2.4 MB).
  rlimit files{};
  constexpr rlim_t kMaxWatched = 65536;
  const rlim_t watched = ::getrlimit(RLIMIT_NOFILE, &files) == 0 ? std::min(files.rlim_cur, kMaxWatched) : 1024;
  if ((err = fd_setsize(static_cast<int>(watched))) != 0) {
    re_thread_close();
    started.set_value("fd_setsize: " + error_text(err));
    return;
  }
  tmr_init(&reap_timer);
  const std::string error = setup();
  if (!error.empty()) {
    teardown();
    re_thread_close();
    started.set_value(error);
    return;
  }
  {
    const std::lock_guard lock(loop_mutex);
    loop_running = true;
  }
  started.set_value("");
  err = re_main(nullptr);
  {
    const std::lock_guard lock(loop_mutex);
    loop_running = false;
  }
  if (err != 0) log(LogLevel::error, "siprec: the SIP loop stopped: " + error_text(err));
  teardown(true);
  re_thread_close();
}

std::string SiprecSignalling::Impl::setup() {
  sa listen{};
  const std::string where = config.listen_address + ":" + std::to_string(config.listen_port);
  if (sa_set_str(&listen, config.listen_address.c_str(), config.listen_port) != 0)
    return "siprec: listen address '" + config.listen_address + "' is not an IP address";
  const std::string& media = config.media_address.empty() ? config.listen_address : config.media_address;
  if (sa_set_str(&media_address, media.c_str(), 0) != 0 || sa_is_any(&media_address))
    return "siprec: media address '" + media + "' is not an address an SRC can send RTP to";
  media_host = media;
  // Port 0: the system picks UDP's, and TCP listens on the same one (RFC 3261 §18: one
  // port for both), so that a test or a second instance needs no free port chosen first.
  // That number may already be some TCP socket's: then the pair is given up and another
  // UDP port tried, a bounded number of times (the kernel hands out ports in a random order).
  const bool system_picks = config.listen_port == 0 && config.udp && config.tcp;
  constexpr int kPortAttempts = 32;
  sa bound{};
  int err = 0;
  for (int attempt = 1;; ++attempt) {
    sa_set_port(&listen, config.listen_port);
    const auto exited = [](void* arg) {
      auto* self = static_cast<SiprecSignalling::Impl*>(arg);
      self->sip_exited = true;
      re_cancel();
    };
    if ((err = sip_alloc(&sip_stack, nullptr, 32, 32, 32, "tonewatch", exited, this)) != 0)
      return "siprec: sip_alloc: " + error_text(err);
    if (config.udp && (err = sip_transp_add(sip_stack, SIP_TRANSP_UDP, &listen)) != 0)
      return "siprec: cannot listen for SIP on udp " + where + ": " + error_text(err);
    if (config.udp && sip_transp_laddr(sip_stack, &bound, SIP_TRANSP_UDP, &listen) == 0) sa_set_port(&listen, sa_port(&bound));
    if (!config.tcp || (err = sip_transp_add(sip_stack, SIP_TRANSP_TCP, &listen)) == 0) break;
    if (!system_picks || err != EADDRINUSE || attempt == kPortAttempts)
      return "siprec: cannot listen for SIP on tcp " + config.listen_address + ":" + std::to_string(sa_port(&listen)) + ": " +
             error_text(err);
    sip_close(sip_stack, true);
    mem_deref(sip_stack);
    sip_stack = nullptr;
  }
  if (config.tcp && sip_transp_laddr(sip_stack, &bound, SIP_TRANSP_TCP, &listen) == 0) sa_set_port(&listen, sa_port(&bound));
  owner.bound_port_.store(sa_port(&listen), std::memory_order_relaxed);
  if (!config.tls_cert_file.empty()) {
    // SIP over TLS (RFC 3261 §26.2), on a port of its own (5061 by convention, §19.1.2):
    // the certificate chain's first certificate and the key, read here so that an
    // unreadable file is an error at start naming it.
    std::string cert, key;
    if (!read_file(config.tls_cert_file, cert)) return "siprec: cannot read the TLS certificate " + config.tls_cert_file;
    if (!read_file(config.tls_key_file, key)) return "siprec: cannot read the TLS key " + config.tls_key_file;
    if ((err = tls_alloc(&tls_context, TLS_METHOD_SSLV23, nullptr, nullptr)) != 0) return "siprec: tls_alloc: " + error_text(err);
    if ((err = tls_set_certificate_pem(tls_context, cert.c_str(), cert.size(), key.c_str(), key.size())) != 0)
      return "siprec: the TLS certificate " + config.tls_cert_file + " and key " + config.tls_key_file +
             " are not a PEM certificate and its private key: " + error_text(err);
    sa tls_listen = listen;
    sa_set_port(&tls_listen, config.tls_port);
    if ((err = sip_transp_add(sip_stack, SIP_TRANSP_TLS, &tls_listen, tls_context)) != 0)
      return "siprec: cannot listen for SIP over TLS on " + config.listen_address + ":" + std::to_string(config.tls_port) +
             ": " + error_text(err);
    if (sip_transp_laddr(sip_stack, &bound, SIP_TRANSP_TLS, &tls_listen) == 0) sa_set_port(&tls_listen, sa_port(&bound));
    owner.bound_tls_port_.store(sa_port(&tls_listen), std::memory_order_relaxed);
  }
  // Our gate runs after libre's server transactions (sip_alloc registered those first:
  // retransmissions and CANCELs of known transactions never reach it) and before the
  // session layer registered next. So a request matching an existing server transaction
  // (a retransmission, or an ACK or CANCEL naming its Via branch and sent-by) is handled by
  // libre before the allow list is consulted; such transactions exist only for requests an
  // allowed source sent (or our own 403s), and libre matches them by branch, not by address.
  if ((err = sip_listen(&listener, sip_stack, true, request_handler, this)) != 0) return "siprec: sip_listen: " + error_text(err);
  if ((err = sipsess_listen(&session_socket, sip_stack, 32, connect_handler, this)) != 0)
    return "siprec: sipsess_listen: " + error_text(err);
  if ((err = mqueue_alloc(&queue, queue_handler, this)) != 0) return "siprec: mqueue_alloc: " + error_text(err);
  info("siprec: listening for SIP on " + std::string(config.udp ? "udp " : "") + (config.tcp ? "tcp " : "") +
       config.listen_address + ":" + std::to_string(sa_port(&listen)));
  return "";
}

void SiprecSignalling::Impl::teardown(bool drain) {
  while (!sessions.empty()) finish(*sessions.begin()->second, SessionEndReason::shutdown);
  // finish() moved them to `ended`; freeing them derefs each sipsess, and libre sends BYE
  // for an established one (its destructor), before the stack closes below.
  ended.clear();
  tmr_cancel(&reap_timer);
  mem_deref(session_socket);
  session_socket = nullptr;
  mem_deref(listener);
  listener = nullptr;
  if (drain && sip_stack != nullptr) {
    // libre's own way down (as baresip stops): sip_close without force gives up our
    // reference and, once no transaction or connection holds the stack, calls the exit
    // handler (re_cancel) with the stack kept for us. Closing by force at once left the
    // objects of a BYE still in flight unreachable when the thread's loop went (LeakSanitizer,
    // 2 of 4 runs of "Stopping the recorder ends a session in progress with a BYE").
    sip_exited = false;
    tmr_init(&drain_timer);
    tmr_start(&drain_timer, 2000, [](void*) { re_cancel(); }, nullptr);
    sip_close(sip_stack, false);
    if (!sip_exited) re_main(nullptr);
    tmr_cancel(&drain_timer);
    if (!sip_exited) {
      // Still busy after 2 s: what holds the stack owns it now (our reference went).
      warn("siprec: SIP transactions were still in progress at shutdown");
      sip_stack = nullptr;
    }
  }
  if (sip_stack != nullptr) sip_close(sip_stack, true);
  mem_deref(sip_stack);
  sip_stack = nullptr;
  mem_deref(tls_context);
  tls_context = nullptr;
  mem_deref(queue);
  queue = nullptr;
}

// ---------------------------------------------------------------------------------------
// The public side

SiprecSignalling::SiprecSignalling(SiprecConfig config, SiprecSessionSink& sink, LogCallback log) {
  if (!config.udp && !config.tcp && config.tls_cert_file.empty())
    throw std::invalid_argument("siprec: udp, tcp and tls are all off: no transport to listen on");
  if (config.tls_cert_file.empty() != config.tls_key_file.empty())
    throw std::invalid_argument("siprec: TLS needs both a certificate and a key file");
  if (config.max_sessions == 0) throw std::invalid_argument("siprec: max_sessions must be at least 1");
  if (config.min_session_expires_s == 0) throw std::invalid_argument("siprec: min_session_expires_s must be at least 1");
  if (config.contact_user.empty() || !sip::is_token(config.contact_user))
    throw std::invalid_argument("siprec: contact_user must be a non-empty SIP token");
  if (config.rtp_port_last < config.rtp_port_first)
    throw std::invalid_argument("siprec: rtp_port_last is below rtp_port_first");
  if (!log) log = [](LogLevel, std::string_view) {};
  impl_ = std::make_unique<Impl>(*this, std::move(config), sink, std::move(log));  // throws on a bad allow list or port range
}

SiprecSignalling::~SiprecSignalling() { stop(); }

void SiprecSignalling::start() {
  if (started_) throw std::logic_error("siprec: start() called twice");
  std::call_once(g_libre_once, [] {
    g_libre_init_error = libre_init();
    // libre 1.1.0 prints its debug warnings ("msg decode err" for a garbage datagram...)
    // to stderr even when given a print handler (dbg_vprintf does not look at it); the
    // library writes nothing to stderr, so they are silenced: a level below DBG_EMERG. What
    // matters reaches the log callback through our own checks (every refusal is logged).
    dbg_init(DBG_EMERG - 1, DBG_NONE);
  });
  if (g_libre_init_error != 0) throw std::runtime_error("siprec: libre_init: " + error_text(g_libre_init_error));
  std::future<std::string> ready = impl_->started.get_future();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-sip");  // named for top -H, perf and serve_load
    impl_->run();
  });
  const std::string error = ready.get();
  started_ = true;
  if (!error.empty()) {
    stop();
    throw std::runtime_error(error);
  }
}

void SiprecSignalling::end_session(std::uint64_t id) {
  // Not started_ (stop() writes it on another thread): the loop flag under its lock says
  // whether anything will read the queue.
  {
    const std::lock_guard lock(impl_->end_mutex);
    impl_->to_end.push_back(id);
  }
  const std::lock_guard lock(impl_->loop_mutex);
  if (impl_->loop_running && impl_->queue != nullptr) mqueue_push(impl_->queue, kEndMessage, nullptr);
}

void SiprecSignalling::stop() {
  if (!started_) return;
  {
    const std::lock_guard lock(impl_->loop_mutex);
    // The queue's pipe is the one thing another thread may touch: mqueue_push writes a
    // message that the SIP thread reads in its loop and turns into re_cancel (re_main.h:
    // re_cancel stops the calling thread's loop, so it has to run there).
    if (impl_->loop_running && impl_->queue != nullptr) mqueue_push(impl_->queue, kStopMessage, nullptr);
  }
  if (thread_.joinable()) thread_.join();
  started_ = false;
}

void SiprecSignalling::Impl::on_libre_diagnostic(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  owner.libre_diagnostics_.fetch_add(1, std::memory_order_relaxed);
  // A flood of garbage datagrams is one line each in libre; here one line in 10 s at most,
  // with how many were not logged (all are in tonewatch_siprec_undecodable_total).
  const std::uint64_t now = tmr_jiffies();
  if (diagnostics_logged_at_ms != 0 && now - diagnostics_logged_at_ms < 10'000) {
    ++diagnostics_unlogged;
    return;
  }
  diagnostics_logged_at_ms = now;
  warn("siprec: libre: " + sip::printable(text, 200) +
       (diagnostics_unlogged > 0 ? " (and " + std::to_string(diagnostics_unlogged) + " more in the last 10 s)" : ""));
  diagnostics_unlogged = 0;
}

}  // namespace tw::siprec
