// The recording sessions' SIP dialogs: the gate every request passes (allow list, methods,
// OPTIONS), the checks of an INVITE (RFC 7866 marks, extensions, session timer, body and
// metadata), the answer and its Contact, re-INVITEs (offer/answer, metadata updates,
// session refreshes), and a session's end. Apart from siprec_signalling.cpp, which runs the
// SIP thread and the public side: this is what the thread does with each request. The
// state both share is declared in siprec_signalling_impl.h.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/session_timer.h"
#include "sip/siprec_body.h"
#include "sip/sip_text.h"
#include "sip/stream_roles.h"
#include "siprec/metadata_json.h"
#include "siprec/sdp_answerer.h"
// Last: it ends with libre's <re.h>.
#include "siprec/siprec_signalling_impl.h"

namespace tw::siprec {

namespace {

// RFC 3261 §20.5 / §20.1: what we take, for OPTIONS, 405 and 415 answers.
constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";
constexpr const char* kAccept =
    "application/sdp, application/rs-metadata+xml, application/rs-metadata, multipart/mixed";
std::string_view view(const pl& text) noexcept {
  return text.p == nullptr ? std::string_view() : std::string_view(text.p, text.l);
}

std::string host_text(const sa* address) {
  char buffer[64] = {};
  if (address == nullptr || !sa_isset(address, SA_ADDR) || sa_ntop(address, buffer, sizeof buffer) != 0) return "";
  return buffer;
}

std::string address_text(const sa* address) {
  const std::string host = host_text(address);
  if (sa_af(address) == AF_INET6) return "[" + host + "]:" + std::to_string(sa_port(address));
  return host + ":" + std::to_string(sa_port(address));
}

// The text of a Warning header's quoted string (RFC 3261 §20.43, §25.1 quoted-string):
// control characters, quotes and backslashes of peer text made harmless.
std::string warning_text(std::string_view text) {
  std::string out = sip::printable(text, 160);
  for (char& c : out)
    if (c == '"' || c == '\\') c = '\'';
  return out;
}

// `sdp` as a message body for libre (read from its start), or null when it is empty or
// cannot be written. The caller owns it (mem_deref).
mbuf* sdp_body(const std::string& sdp) {
  if (sdp.empty()) return nullptr;
  mbuf* body = mbuf_alloc(sdp.size() + 1);
  if (body == nullptr) return nullptr;
  if (mbuf_write_mem(body, reinterpret_cast<const std::uint8_t*>(sdp.data()), sdp.size()) != 0) return static_cast<mbuf*>(mem_deref(body));
  body->pos = 0;
  return body;
}

// C callbacks: libre calls these on the SIP thread.
int offer_handler(struct mbuf** description, const sip_msg* msg, void* arg) {
  auto* session = static_cast<RecordingSession*>(arg);
  return session->impl->on_offer(description, msg, *session);
}
int answer_handler(const sip_msg*, void*) {
  // The SRC's answer to an offer of ours: in the ACK of an offerless re-INVITE, or in the
  // 200 to our own refresh re-INVITE. Ours repeats the session's SDP, so the answer
  // changes nothing we record (the SRC keeps sending where it did).
  return 0;
}
void established_handler(const sip_msg*, void* arg) {
  auto* session = static_cast<RecordingSession*>(arg);
  session->impl->info("siprec: session " + std::to_string(session->id) + " established (ACK)");
}
void close_handler(int err, const sip_msg* msg, void* arg) {
  auto* session = static_cast<RecordingSession*>(arg);
  session->impl->on_close(err, msg, *session);
}
void answer_timer_handler(void* arg) {
  auto* session = static_cast<RecordingSession*>(arg);
  session->impl->send_answer(*session);
}
void session_timer_handler(void* arg) {
  auto* session = static_cast<RecordingSession*>(arg);
  session->impl->on_session_timer(*session);
}
void reap_timer_handler(void* arg) { static_cast<SiprecSignalling::Impl*>(arg)->ended.clear(); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Requests

bool SiprecSignalling::Impl::source_allowed(const sa& source) const {
  std::array<std::uint8_t, 16> bytes{};
  if (sa_af(&source) == AF_INET) {
    const std::uint32_t v4 = sa_in(&source);  // host order
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    bytes[12] = static_cast<std::uint8_t>(v4 >> 24);
    bytes[13] = static_cast<std::uint8_t>(v4 >> 16);
    bytes[14] = static_cast<std::uint8_t>(v4 >> 8);
    bytes[15] = static_cast<std::uint8_t>(v4);
  } else if (sa_af(&source) == AF_INET6) {
    sa_in6(&source, bytes.data());
  } else {
    return false;
  }
  return allow.allows(bytes);
}

void SiprecSignalling::Impl::reply(const sip_msg* msg, std::uint16_t code, const char* reason,
                                   const std::string& headers, const std::string& warning) {
  std::string extra = headers;
  // RFC 3261 §20.43: warn-code 399 (miscellaneous), the agent, and the detail, so that the
  // SBC's own logs say what was wrong without a capture.
  if (!warning.empty()) extra += "Warning: 399 tonewatch \"" + warning_text(warning) + "\"\r\n";
  // A stateful reply: an INVITE's non-2xx is retransmitted until the ACK (RFC 3261 §17.2.1),
  // which libre's transaction layer then absorbs.
  const int err = sip_treplyf(nullptr, nullptr, sip_stack, msg, false, code, reason, "%sContent-Length: 0\r\n\r\n",
                              extra.c_str());
  if (err != 0) warn("siprec: could not send " + std::to_string(code) + ": " + error_text(err));
}

void SiprecSignalling::Impl::refuse(const sip_msg* msg, const Refusal& refusal, const std::string& headers) {
  warn("siprec: " + std::to_string(refusal.code) + " " + refusal.reason + " to " + std::string(view(msg->met)) +
       " from " + address_text(&msg->src) + " (Call-ID " + sip::printable(view(msg->callid), 80) +
       "): " + refusal.detail);
  reply(msg, refusal.code, refusal.reason, headers, refusal.detail);
}

bool SiprecSignalling::Impl::on_request(const sip_msg* msg) {
  pending_message = nullptr;
  const std::string_view method = view(msg->met);
  // Issue 24 ("Security"): the allow-list comes before anything else is looked at.
  if (!source_allowed(msg->src)) {
    owner.forbidden_count_.fetch_add(1, std::memory_order_relaxed);
    warn("siprec: 403 Forbidden to " + sip::printable(method, 20) + " from " + address_text(&msg->src) +
         ": not in the allow list");
    if (method != "ACK") reply(msg, 403, "Forbidden");  // RFC 3261 §17: an ACK is never answered
    return true;
  }
  if (method == "ACK" || method == "BYE") return false;  // libre's dialogs (sipsess)
  if (method == "CANCEL") {
    // The transaction layer, which sees requests first, matched no INVITE (RFC 3261 §9.2).
    reply(msg, 481, "Call/Transaction Does Not Exist");
    return true;
  }
  if (method == "OPTIONS") {
    // RFC 3261 §11.2: what we would answer to an INVITE, with Allow and Accept. SBCs probe
    // their recorders with OPTIONS and take it out of service when this fails.
    reply(msg, 200, "OK", std::string("Allow: ") + kAllow + "\r\nAccept: " + kAccept + "\r\nSupported: timer\r\n");
    return true;
  }
  if (method != "INVITE") {
    // RFC 3261 §8.2.1: a method we do not take gets 405 with the ones we do.
    warn("siprec: 405 to " + sip::printable(method, 20) + " from " + address_text(&msg->src));
    reply(msg, 405, "Method Not Allowed", std::string("Allow: ") + kAllow + "\r\n");
    return true;
  }
  std::string headers;
  if (const auto refusal = check_invite(msg, headers)) {
    refuse(msg, *refusal, headers);
    return true;
  }
  return false;  // on to sipsess: connect_handler (new) or offer_handler (re-INVITE)
}

namespace {

struct OptionTagScan {
  std::vector<std::string> tags;
  bool has(std::string_view tag) const { return std::find(tags.begin(), tags.end(), tag) != tags.end(); }
};

bool collect_option_tags(const sip_hdr* header, const sip_msg*, void* arg) {
  auto* scan = static_cast<OptionTagScan*>(arg);
  for (const std::string_view tag : sip::split_outside_quotes(view(header->val), ','))
    if (!tag.empty() && scan->tags.size() < 32) scan->tags.push_back(sip::ascii_lowered(tag));
  return false;  // every header of the kind
}

// The session-timer headers of a request (RFC 4028 §4, §5; libre maps the compact 'x').
sip::SessionTimerRequest session_timer_request(const sip_msg* msg, const OptionTagScan& require) {
  OptionTagScan supported;
  sip_msg_hdr_apply(msg, true, SIP_HDR_SUPPORTED, collect_option_tags, &supported);
  sip::SessionTimerRequest request;
  if (const sip_hdr* expires = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES)) request.session_expires = std::string(view(expires->val));
  if (const sip_hdr* min_se = sip_msg_hdr(msg, SIP_HDR_MIN_SE)) request.min_se = std::string(view(min_se->val));
  request.uac_supports_timer = supported.has("timer") || require.has("timer");
  return request;
}

// RFC 7866 §6.1.1 (and the drafts before it, which some SBCs still follow with a bare `src`):
// the SRC marks its Contact with the +sip.src feature tag, a Contact header field parameter
// after the URI (RFC 3840 §9).
bool contact_has_src_tag(const sip_msg* msg) {
  const sip_hdr* contact = sip_msg_hdr(msg, SIP_HDR_CONTACT);
  if (contact == nullptr) return false;
  const std::string_view value = view(contact->val);
  const std::size_t close = value.find('>');
  const std::string_view after = close == std::string_view::npos ? value : value.substr(close + 1);
  for (const sip::Parameter& parameter : sip::parse_parameters(after))
    if (parameter.name == "+sip.src" || parameter.name == "src") return true;
  return false;
}

}  // namespace

std::optional<Refusal> SiprecSignalling::Impl::check_invite(const sip_msg* msg, std::string& headers) {
  const bool initial = !pl_isset(&msg->to.tag);
  OptionTagScan require;
  sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, collect_option_tags, &require);
  // RFC 3261 §8.2.2.3: an extension we do not support in Require gets 420 naming it.
  std::string unsupported;
  bool siprec_required = false;
  for (const std::string& tag : require.tags) {
    if (tag == "siprec") {
      siprec_required = true;
    } else if (tag == "timer") {
      // RFC 4028: session timers, negotiated below.
    } else {
      unsupported += (unsupported.empty() ? "" : ", ") + sip::printable(tag, 40);
    }
  }
  if (!unsupported.empty()) {
    headers = "Unsupported: " + unsupported + "\r\n";
    return Refusal{420, "Bad Extension", "Require names extensions we do not support: " + unsupported};
  }
  if (initial) {
    // RFC 7866 §6.1.1: an SRC starts a recording session with `Require: siprec` and the
    // +sip.src feature tag in Contact; an INVITE with neither is an ordinary call (the SRS
    // must treat it as a normal session, not a recording one). tonewatch takes recording
    // sessions only, and an ordinary call to it is a misrouted one: refused with 488, the
    // answer RFC 7866 names for a session the SRS will not take, rather than answered as a
    // call nobody records. Either mark alone is enough: SBCs in the field send one or both.
    if (!siprec_required && !contact_has_src_tag(msg))
      return Refusal{488, "Not Acceptable Here",
                     "not a SIPREC recording session (no Require: siprec, no +sip.src in Contact, RFC 7866 §6.1.1)"};
    if (sessions.size() >= config.max_sessions) {
      // RFC 3261 §21.5.4 and §20.33: busy for now, try again later.
      headers = "Retry-After: " + std::to_string(config.retry_after_s) + "\r\n";
      return Refusal{503, "Service Unavailable",
                     "at the limit of " + std::to_string(config.max_sessions) + " recording sessions"};
    }
  }
  sip::SessionTimerDecision timer = sip::decide_session_timer(session_timer_request(msg, require), config.min_session_expires_s);
  if (timer.kind == sip::SessionTimerDecision::Kind::malformed) return Refusal{400, "Bad Request", timer.detail};
  if (timer.kind == sip::SessionTimerDecision::Kind::too_small) {
    headers = "Min-SE: " + std::to_string(timer.min_se_s) + "\r\n";  // RFC 4028 §6
    return Refusal{422, "Session Interval Too Small", timer.detail};
  }
  const std::string body(reinterpret_cast<const char*>(mbuf_buf(msg->mb)), mbuf_get_left(msg->mb));
  if (body.empty() && initial)
    return Refusal{400, "Bad Request", "a SIPREC INVITE needs an SDP offer and recording metadata (RFC 7866 §9)"};
  if (body.empty()) {
    // An offerless re-INVITE (RFC 3261 §14.2): a session refresh, typically (RFC 4028
    // §7.4). The 200 carries our current SDP as the offer and the ACK the SRC's answer,
    // which changes nothing: a recorder only receives.
    ParsedRequest parsed;
    parsed.timer = std::move(timer);
    pending_message = msg;
    pending = std::move(parsed);
    return std::nullopt;
  }
  const sip_hdr* content_type = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
  if (content_type == nullptr) return Refusal{400, "Bad Request", "a body without Content-Type (RFC 3261 §20.15)"};
  sip::MultipartLimits multipart_limits;
  sip::SiprecBody split = sip::split_siprec_body(view(content_type->val), body, multipart_limits);
  if (!split.ok()) {
    if (split.status_code == 415) {
      headers = std::string("Accept: ") + kAccept + "\r\n";  // RFC 3261 §21.4.13
      return Refusal{415, "Unsupported Media Type", split.error};
    }
    return Refusal{400, "Bad Request", split.error};
  }
  if (!split.sdp) return Refusal{488, "Not Acceptable Here", "no SDP offer in the body (offerless INVITEs are not supported)"};
  ParsedRequest parsed;
  parsed.sdp = std::move(*split.sdp);
  parsed.timer = std::move(timer);
  if (split.metadata) {
    sip::MetadataResult metadata = sip::parse_recording_metadata(*split.metadata, config.metadata_limits);
    if (!metadata.ok()) return Refusal{400, "Bad Request", "recording metadata: " + metadata.error};
    parsed.metadata = std::move(metadata.metadata);
  } else if (initial) {
    // RFC 7866 lets an SRC send metadata later, but tonewatch decides who is who from it when
    // the call starts; an SRC that sends none at first is refused rather than guessed at.
    return Refusal{400, "Bad Request", "no recording metadata part (application/rs-metadata+xml) in the INVITE"};
  }
  pending_message = msg;
  pending = std::move(parsed);
  return std::nullopt;
}

std::string SiprecSignalling::Impl::contact_for(const sip_msg* msg, const std::string& headers) const {
  // The address the SRC reached us on (a wildcard listen address: the media address).
  std::string host = sa_is_any(&msg->dst) ? host_text(&media_address) : host_text(&msg->dst);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string uri = "sip:" + config.contact_user + "@" + host + ":" + std::to_string(sa_port(&msg->dst));
  if (msg->tp == SIP_TRANSP_TCP) uri += ";transport=tcp";
  if (msg->tp == SIP_TRANSP_TLS) uri += ";transport=tls";
  // RFC 7866 §6.1.2: the SRS marks its Contact with the +sip.srs feature tag, a header field
  // parameter after the URI. libre 1.1.0 writes Contact itself as "Contact: <%s>" around the
  // string given as cuser (sip_contact_print) and has no way to add header parameters, so the
  // string closes the URI, adds the tag and ends that header line; libre's closing '>' then
  // ends an extension header that repeats the URI, which a UA ignores (RFC 3261 §8.1.3.2
  // and §7.3: unknown headers are ignored). The Contact itself stays the single URI that
  // RFC 3261 §12.1.1 asks of a 2xx.
  // The same way carries `headers` (the session timer's, RFC 4028 §9) into every 2xx of
  // the session: libre 1.1.0 answers a re-INVITE itself (sipsess reinvite_handler) with
  // the Contact it was given and nothing else, and a refresh's 2xx needs Session-Expires
  // as the first one did, or the SRC takes the session as having no timer (§7.4).
  return uri + ">;+sip.srs\r\n" + headers + "X-Tonewatch-Srs-Uri: <" + uri;
}

void SiprecSignalling::Impl::on_connect(const sip_msg* msg) {
  if (pending_message != msg) {
    reply(msg, 500, "Server Internal Error");
    return;
  }
  pending_message = nullptr;
  ParsedRequest request = std::move(pending);
  auto session = std::make_unique<RecordingSession>();
  session->impl = this;
  session->id = next_id++;
  tmr_init(&session->answer_timer);
  session->info.id = session->id;
  session->info.call_id = sip::printable(view(msg->callid), 256);
  session->info.source = address_text(&msg->src);
  session->info.transport = msg->tp == SIP_TRANSP_TLS ? "tls" : msg->tp == SIP_TRANSP_TCP ? "tcp" : "udp";
  session->metadata = std::move(*request.metadata);
  session->timer = std::move(request.timer);
  tmr_init(&session->session_timer);
  session->sdp = std::make_unique<SdpAnswerer>(media_host);
  SessionChange change;
  if (const auto refusal = apply_offer(*session, request.sdp, change)) {
    refuse(msg, *refusal, refusal->code == 503 ? "Retry-After: " + std::to_string(config.retry_after_s) + "\r\n" : "");
    free_session(*session);
    return;
  }
  update_roles(*session);
  session->answer = sdp_body(session->sdp->answer());
  if (session->answer == nullptr) {
    refuse(msg, Refusal{500, "Server Internal Error", "the SDP answer could not be written"});
    free_session(*session);
    return;
  }
  // The 200 OK with the answer at once, as an SRS should (RFC 3261 §8.2.6.1: no 100 Trying
  // is needed for an answer within 200 ms; libre's sipsess_accept takes 101..299 and sends no
  // 100 of its own). With answer_delay_ms, 180 first and the 200 from a timer: sipsess_accept
  // holds the server transaction, so a CANCEL in between is answered 200 and the INVITE 487
  // by libre (RFC 3261 §9.2), and close_handler runs.
  const bool delayed = config.answer_delay_ms > 0;
  const std::string contact = contact_for(msg, session->timer.response_headers());
  const int err = sipsess_accept(&session->sess, session_socket, msg, delayed ? 180 : 200, delayed ? "Ringing" : "OK",
                       contact.c_str(), "application/sdp", delayed ? nullptr : session->answer, nullptr, nullptr,
                       false, offer_handler, answer_handler, established_handler, nullptr, nullptr, close_handler,
                       session.get(), "Allow: %s\r\nSupported: timer\r\n", kAllow);
  if (err != 0) {
    refuse(msg, Refusal{500, "Server Internal Error", "sipsess_accept: " + error_text(err)});
    free_session(*session);
    return;
  }
  RecordingSession& ref = *session;
  sessions.emplace(ref.id, std::move(session));
  owner.session_count_.store(sessions.size(), std::memory_order_relaxed);
  info("siprec: session " + std::to_string(ref.id) + " offered by " + ref.info.source + " (Call-ID " +
       ref.info.call_id + "), " + std::to_string(ref.info.streams.size()) + " m= lines");
  if (delayed) {
    tmr_start(&ref.answer_timer, config.answer_delay_ms, answer_timer_handler, &ref);
    return;
  }
  ref.answer = static_cast<mbuf*>(mem_deref(ref.answer));
  ref.started = true;
  start_session_timer(ref);
  sink.on_session_start(ref.info);
}

void SiprecSignalling::Impl::send_answer(RecordingSession& session) {
  if (session.ended) return;
  const int err = sipsess_answer(session.sess, 200, "OK", session.answer, "Allow: %s\r\nSupported: timer\r\n", kAllow);
  session.answer = static_cast<mbuf*>(mem_deref(session.answer));
  if (err != 0) {
    log(LogLevel::error, "siprec: session " + std::to_string(session.id) + ": sipsess_answer: " + error_text(err));
    finish(session, SessionEndReason::error);
    return;
  }
  session.started = true;
  start_session_timer(session);
  sink.on_session_start(session.info);
}

void SiprecSignalling::Impl::start_session_timer(RecordingSession& session) {
  if (session.timer.kind != sip::SessionTimerDecision::Kind::run) return;
  const bool we_refresh = session.timer.refresher == sip::Refresher::uas;
  tmr_start(&session.session_timer,
            we_refresh ? sip::refresh_due_ms(session.timer.interval_s) : sip::expiry_deadline_ms(session.timer.interval_s),
            session_timer_handler, &session);
}

void SiprecSignalling::Impl::on_session_timer(RecordingSession& session) {
  if (session.ended) return;
  if (session.timer.refresher == sip::Refresher::uac) {
    // RFC 4028 §10: no refresh from the SRC before the deadline; the session is over.
    warn("siprec: session " + std::to_string(session.id) + ": no session refresh within the " +
         std::to_string(session.timer.interval_s) + " s session interval (RFC 4028 §10): BYE sent");
    finish(session, SessionEndReason::expired);
    return;
  }
  // We refresh (RFC 4028 §7.4, as the re-INVITE's UAC): the same SDP as our answer, so
  // nothing about the media changes (RFC 3264 §8); the SRC's answer reaches answer_handler.
  mbuf* description = sdp_body(session.sdp->answer());
  const int err = description != nullptr ? sipsess_modify(session.sess, description) : ENOMEM;
  mem_deref(description);
  if (err != 0) {
    // A transaction in progress (the SRC's own re-INVITE, say) refreshes the session just
    // as well; another try in a second otherwise.
    warn("siprec: session " + std::to_string(session.id) + ": session refresh not sent now: " + error_text(err));
    tmr_start(&session.session_timer, 1000, session_timer_handler, &session);
    return;
  }
  info("siprec: session " + std::to_string(session.id) + ": session refresh (re-INVITE) sent");
  start_session_timer(session);
}

int SiprecSignalling::Impl::on_offer(struct mbuf** description, const sip_msg* msg, RecordingSession& session) {
  if (pending_message != msg) return EPROTO;
  pending_message = nullptr;
  ParsedRequest request = std::move(pending);
  SessionChange change;
  if (request.sdp.empty()) {
    // Offerless: our SDP as it stands is the offer (see check_invite).
    *description = sdp_body(session.sdp->answer());
    if (*description == nullptr) return ENOMEM;
    if (session.started) start_session_timer(session);
    info("siprec: session " + std::to_string(session.id) + " re-INVITE without an offer: answered with ours (a refresh)");
    return 0;
  }
  if (const auto refusal = apply_offer(session, request.sdp, change)) {
    // libre answers a failed offer handler with 488 and the error's text (sipsess reinvite_handler).
    warn("siprec: session " + std::to_string(session.id) + ": re-INVITE refused (488): " + refusal->detail);
    return refusal->code == 503 ? ENOSR : ENOTSUP;
  }
  // Any re-INVITE from the SRC refreshes the session (RFC 4028 §7.4); our 2xx carries the
  // session's Session-Expires (contact_for).
  if (session.started) start_session_timer(session);
  if (request.metadata) {
    // RFC 7865 §6.1.1 dataMode: a partial update is merged by id into
    // what we have, a complete one replaces it.
    session.metadata = request.metadata->mode == sip::DataMode::partial
                           ? sip::merge_metadata(session.metadata, *request.metadata, config.metadata_limits)
                           : std::move(*request.metadata);
    change.metadata_changed = true;
  }
  update_roles(session);
  *description = sdp_body(session.sdp->answer());
  if (*description == nullptr) return ENOMEM;
  info("siprec: session " + std::to_string(session.id) + " re-INVITE:" + (change.hold_changed ? " hold" : "") +
       (change.metadata_changed ? " metadata" : "") + (change.streams_changed ? " streams" : "") +
       (session.info.on_hold ? " (on hold)" : ""));
  if (session.started) sink.on_session_update(session.info, change);
  return 0;
}

void SiprecSignalling::Impl::on_close(int err, const sip_msg* msg, RecordingSession& session) {
  // libre 1.1.0 ends a session the peer closed with ECONNRESET and no message, for a BYE
  // (sipsess bye_handler) as for a CANCEL (accept.c cancel_handler, before any 2xx); a 2xx
  // never acknowledged gives ETIMEDOUT (RFC 3261 §13.3.1.4).
  (void)msg;
  std::optional<SessionEndReason> reason;
  if (!session.started) {
    reason = std::nullopt;  // cancelled (libre answered 487) or failed before the answer
  } else if (err == ECONNRESET) {
    reason = SessionEndReason::bye;
  } else if (err == ETIMEDOUT) {
    reason = SessionEndReason::timeout;
  } else {
    reason = SessionEndReason::error;
  }
  info("siprec: session " + std::to_string(session.id) + " closed: " +
       (reason ? std::string(to_string(*reason)) : std::string(session.started ? "ended" : "cancelled before the answer")) +
       (err != 0 ? " (" + error_text(err) + ")" : ""));
  finish(session, reason.value_or(SessionEndReason::error));
}

// ---------------------------------------------------------------------------------------
// Sessions

std::optional<Refusal> SiprecSignalling::Impl::apply_offer(RecordingSession& session, const std::string& sdp_text,
                                                           SessionChange& change) {
  const auto refusal = session.sdp->apply_offer(sdp_text, ports, change);
  // The sink's copy: the answerer's streams, roles added by update_roles.
  session.info.streams = session.sdp->streams();
  session.info.on_hold = session.sdp->on_hold();
  if (refusal) return Refusal{refusal->code, refusal->reason, refusal->detail};
  return std::nullopt;
}

void SiprecSignalling::Impl::update_roles(RecordingSession& session) {
  const std::vector<sip::StreamRole> roles = sip::decide_stream_roles(session.metadata, config.agent_patterns);
  std::size_t accepted_seen = 0;
  for (StreamInfo& stream : session.info.streams) {
    const sip::StreamRole* found = nullptr;
    for (const sip::StreamRole& role : roles)
      if (!stream.label.empty() && role.label == stream.label) found = &role;
    if (found != nullptr) {
      stream.role = found->role;
      stream.role_basis = std::string(sip::to_string(found->basis));
      stream.participant_name = found->name;
      stream.participant_aor = found->aor;
    } else {
      // No metadata stream carries this label: the first accepted stream is the caller's,
      // as sip/stream_roles.h does for streams without a sender.
      stream.role = accepted_seen == 0 ? features::SpeakerRole::caller : features::SpeakerRole::agent;
      stream.role_basis = "sdp_order";
      stream.participant_name.clear();
      stream.participant_aor.clear();
    }
    if (stream.accepted) ++accepted_seen;
  }
  session.info.metadata_json = metadata_to_json(session.metadata, roles);
}

void SiprecSignalling::Impl::finish(RecordingSession& session, std::optional<SessionEndReason> reason) {
  if (session.ended) return;
  session.ended = true;
  tmr_cancel(&session.answer_timer);
  tmr_cancel(&session.session_timer);
  if (session.started && reason) sink.on_session_end(session.id, *reason);
  if (session.sdp) session.sdp->release_ports(ports);
  const auto found = sessions.find(session.id);
  if (found != sessions.end()) {
    // Freed from a timer, not here: libre is inside this session's own callback.
    ended.push_back(std::move(found->second));
    sessions.erase(found);
    owner.session_count_.store(sessions.size(), std::memory_order_relaxed);
    tmr_start(&reap_timer, 0, reap_timer_handler, this);
  }
}

void SiprecSignalling::Impl::end_requested() {
  std::vector<std::uint64_t> ids;
  {
    const std::lock_guard lock(end_mutex);
    ids.swap(to_end);
  }
  for (const std::uint64_t id : ids) {
    const auto found = sessions.find(id);
    if (found == sessions.end()) continue;  // it ended meanwhile
    info("siprec: session " + std::to_string(id) + " ended by the media side: BYE sent");
    // Freed from the reap timer: the sipsess destructor sends BYE (or 486 before the 2xx).
    finish(*found->second, SessionEndReason::local);
  }
}

void SiprecSignalling::Impl::free_session(RecordingSession& session) {
  // A session refused before it joined `sessions`: its ports go back; the caller's
  // unique_ptr frees the rest.
  if (session.sdp) session.sdp->release_ports(ports);
}

}  // namespace tw::siprec
