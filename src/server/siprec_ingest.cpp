#include "server/siprec_ingest.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "features/speaker_role.h"
#include "server/metrics.h"

namespace tw::server {
namespace {

std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The rate a stream would have alone: the SRC's first audio format decides (it is the one it
// prefers and, in practice, the one it sends, RFC 3264 §5.1). G.722 is 16 kHz audio on
// an 8 kHz RTP clock (RFC 3551 §4.5.2); PCMU and PCMA are 8 kHz.
int stream_rate_hz(const siprec::StreamInfo& stream) {
  for (const siprec::PayloadFormat& format : stream.formats) {
    if (format.encoding == "telephone-event") continue;
    return format.encoding == "G722" ? 16000 : 8000;
  }
  return 8000;
}

int telephone_event_type(const siprec::StreamInfo& stream) {
  for (const siprec::PayloadFormat& format : stream.formats)
    if (format.encoding == "telephone-event" && format.payload_type >= 96) return format.payload_type;
  return -1;
}

// What the call keeps of the session (its summary and dashboard row): the SRC's
// Call-ID and address, and each analysed stream's participant. Flat enough for the
// call's metadata limits (depth 4); the whole RFC 7865 document stays in the log.
// The SBC's extension data (metadata_json's "extension_data") of one scope, as name: value
// (the first of a name kept); for one entity when `id` is given.
// At most kMaxSbcValues names of kMaxSbcValueChars each: the call's metadata has room for
// 64 entries and 4 KiB (CallMetadata), and the SIP Call-ID, source and participants must
// not be crowded out by a chatty SBC's vendor data.
constexpr std::size_t kMaxSbcValues = 8;
constexpr std::size_t kMaxSbcValueChars = 128;

nlohmann::json sbc_data(const nlohmann::json& parsed, std::string_view scope, const std::string* id = nullptr) {
  nlohmann::json out = nlohmann::json::object();
  if (!parsed.is_object() || !parsed.contains("extension_data") || !parsed["extension_data"].is_array()) return out;
  for (const auto& value : parsed["extension_data"]) {
    if (!value.is_object() || value.value("scope", "") != scope) continue;
    if (id != nullptr && value.value("id", "") != *id) continue;
    const std::string name = value.value("name", "");
    if (out.size() >= kMaxSbcValues) break;
    if (!name.empty() && name.size() <= kMaxSbcValueChars && !out.contains(name))
      out[name] = value.value("value", "").substr(0, kMaxSbcValueChars);
  }
  return out;
}

nlohmann::json call_metadata(const siprec::SessionInfo& info, const std::vector<std::size_t>& analysed) {
  const nlohmann::json parsed = nlohmann::json::parse(info.metadata_json, nullptr, false);
  // Which metadata participant sent each labelled stream (metadata_json's "roles").
  auto participant_of = [&parsed](const std::string& label) -> std::string {
    if (label.empty() || !parsed.is_object() || !parsed.contains("roles") || !parsed["roles"].is_array()) return "";
    for (const auto& role : parsed["roles"])
      if (role.is_object() && role.value("label", "") == label) return role.value("participant_id", "");
    return "";
  };
  nlohmann::json participants = nlohmann::json::array();
  for (const std::size_t i : analysed) {
    const siprec::StreamInfo& s = info.streams[i];
    nlohmann::json participant = {{"role", features::to_string(s.role)},
                                  {"name", s.participant_name},
                                  {"aor", s.participant_aor},
                                  {"label", s.label},
                                  {"basis", s.role_basis}};
    const std::string id = participant_of(s.label);
    if (nlohmann::json data = sbc_data(parsed, "participant", &id); !id.empty() && !data.empty()) participant["sbc_data"] = std::move(data);
    participants.push_back(std::move(participant));
  }
  // Call-level vendor data: the document's, its groups' and its sessions' (a UCID, a
  // global call id), merged; the first of a name wins.
  nlohmann::json call_data = sbc_data(parsed, "recording");
  for (const char* scope : {"group", "session"}) {
    const nlohmann::json data = sbc_data(parsed, scope);
    for (const auto& [name, value] : data.items())
      if (call_data.size() < kMaxSbcValues && !call_data.contains(name)) call_data[name] = value;
  }
  nlohmann::json sbc_sessions = nlohmann::json::array();
  if (parsed.is_object() && parsed.contains("sessions") && parsed["sessions"].is_array()) {
    for (const auto& session : parsed["sessions"])
      if (session.is_object() && session.contains("sip_session_ids") && session["sip_session_ids"].is_array())
        for (const auto& id : session["sip_session_ids"])
          if (id.is_string()) sbc_sessions.push_back(id);
  }
  return {{"sip_call_id", info.call_id},
          {"src", info.source},
          {"sip_transport", info.transport},
          {"participants", participants},
          {"recorded_sip_sessions", sbc_sessions},
          {"sbc_data", call_data}};
}

}  // namespace

SiprecIngest::SiprecIngest(IngestContext& context, SiprecIngestConfig config)
    : context_(context), config_(std::move(config)) {
  if (!(config_.idle_timeout_s > 0.0)) throw std::invalid_argument("siprec: the RTP idle timeout must be positive");
  const std::string& bind = config_.media_bind_address.empty() ? config_.sip.listen_address : config_.media_bind_address;
  receiver_ = std::make_unique<net::UdpReceiver>(bind, config_.sip.rtp_port_first, config_.sip.rtp_port_last);
  config_.sip.port_allocator = static_cast<siprec::RtpPortAllocator*>(this);
  signalling_ = std::make_unique<siprec::SiprecSignalling>(
      config_.sip, static_cast<siprec::SiprecSessionSink&>(*this), [log = context_.log](siprec::LogLevel level, std::string_view line) {
        if (level == siprec::LogLevel::info) return;  // per request: the session lines below say what matters
        log.write(level == siprec::LogLevel::error ? "siprec_error" : "siprec_warning", std::string(line));
      });
}

SiprecIngest::~SiprecIngest() { stop(); }

void SiprecIngest::start() {
  if (started_) throw std::logic_error("siprec: start() called twice");
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-siprec");
    run();
  });
  try {
    signalling_->start();
  } catch (...) {
    stop();
    throw;
  }
}

void SiprecIngest::stop() {
  if (!started_) return;
  // BYE to every session first: on_session_end queues each end behind what came before.
  signalling_->stop();
  {
    const std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  started_ = false;
}

// --- The SIP thread --------------------------------------------------------------------

std::optional<std::uint16_t> SiprecIngest::acquire() {
  std::unique_ptr<net::UdpReceiver::Pair> pair = receiver_->reserve();
  if (!pair) return std::nullopt;
  const std::uint16_t port = pair->rtp_port();
  const std::lock_guard lock(reserved_mutex_);
  reserved_[port] = std::move(pair);
  return port;
}

void SiprecIngest::release(std::uint16_t rtp_port) noexcept {
  std::unique_ptr<net::UdpReceiver::Pair> pair;
  {
    const std::lock_guard lock(reserved_mutex_);
    const auto found = reserved_.find(rtp_port);
    if (found == reserved_.end()) return;  // a session's media took it (and closes it when it ends)
    pair = std::move(found->second);
    reserved_.erase(found);
  }
  // Destroyed here: a pair never attached closes on this thread, waiting for nothing.
}

std::map<std::uint16_t, std::unique_ptr<net::UdpReceiver::Pair>> SiprecIngest::take_pairs(const siprec::SessionInfo& info) {
  std::map<std::uint16_t, std::unique_ptr<net::UdpReceiver::Pair>> taken;
  const std::lock_guard lock(reserved_mutex_);
  for (const siprec::StreamInfo& stream : info.streams) {
    const auto found = reserved_.find(stream.local_rtp_port);
    if (stream.local_rtp_port == 0 || found == reserved_.end()) continue;
    taken.emplace(found->first, std::move(found->second));
    reserved_.erase(found);
  }
  return taken;
}

void SiprecIngest::on_session_start(const siprec::SessionInfo& info) {
  Command command;
  command.kind = Command::Kind::start;
  command.id = info.id;
  command.info = info;
  // Taken now, on this thread, so that the session's ports travel with it: a port freed
  // by a session that ends before the media thread sees it cannot reach another session.
  command.pairs = take_pairs(info);
  push(std::move(command));
}

void SiprecIngest::on_session_update(const siprec::SessionInfo& info, const siprec::SessionChange& change) {
  Command command;
  command.kind = Command::Kind::update;
  command.id = info.id;
  command.info = info;
  command.change = change;
  command.pairs = take_pairs(info);  // a stream added by this re-INVITE
  push(std::move(command));
}

void SiprecIngest::on_session_end(std::uint64_t id, siprec::SessionEndReason reason) {
  Command command;
  command.kind = Command::Kind::end;
  command.id = id;
  command.reason = reason;
  push(std::move(command));
}

void SiprecIngest::push(Command command) {
  {
    const std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(command));
  }
  queue_ready_.notify_one();
}

// --- The media thread ------------------------------------------------------------------

void SiprecIngest::run() {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    queue_ready_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !queue_.empty(); });
    while (!queue_.empty()) {
      Command command = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      switch (command.kind) {
        case Command::Kind::start: start_session(command); break;
        case Command::Kind::update: update_session(command); break;
        case Command::Kind::end:
          end_session(command.id,
                      command.reason == siprec::SessionEndReason::bye ? telephony::EndReason::stop
                                                                       : telephony::EndReason::connection_lost,
                      "SIP " + std::string(siprec::to_string(command.reason)));
          break;
      }
      lock.lock();
    }
    if (stopping_) break;
    lock.unlock();
    end_idle_sessions();
    lock.lock();
  }
  lock.unlock();
  // The signalling has stopped (every session's end was queued before stopping_), so
  // this is only for sessions whose end never came.
  while (!sessions_.empty()) end_session(sessions_.begin()->first, telephony::EndReason::connection_lost, "server stopping");
}

void SiprecIngest::start_session(Command& command) {
  const siprec::SessionInfo& info = command.info;
  // The streams analysed: the first accepted one of each party; any further one is
  // counted and left unread (a call has one caller track and one agent track).
  std::vector<std::size_t> analysed;
  for (std::size_t i = 0; i < info.streams.size(); ++i) {
    const siprec::StreamInfo& stream = info.streams[i];
    if (!stream.accepted || command.pairs.count(stream.local_rtp_port) == 0) continue;
    const bool party_taken = std::any_of(analysed.begin(), analysed.end(),
                                         [&](std::size_t j) { return info.streams[j].role == stream.role; });
    if (party_taken) {
      stats_.ignored_streams.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    analysed.push_back(i);
  }
  const std::string who = "SIPREC session " + std::to_string(info.id) + " (Call-ID " + info.call_id + ") from " + info.source;
  if (analysed.empty()) {
    stats_.sessions_refused.fetch_add(1, std::memory_order_relaxed);
    context_.log.write("siprec_refused", who + ": no audio stream to analyse; BYE sent",
                       {{"sip_call_id", info.call_id}, {"src", info.source}});
    signalling_->end_session(info.id);
    return;
  }
  // One rate for the call's tracks: 16 kHz when every party sends G.722; with a G.711
  // party, 8 kHz, the G.722 stream brought down to it (RtpJitterBuffer decimates).
  int call_rate_hz = 16000;
  for (const std::size_t i : analysed) call_rate_hz = std::min(call_rate_hz, stream_rate_hz(info.streams[i]));
  std::vector<SiprecStream> streams;
  std::vector<std::unique_ptr<net::UdpReceiver::Pair>> pairs;
  for (const std::size_t i : analysed) {
    const siprec::StreamInfo& s = info.streams[i];
    SiprecStream stream;
    stream.label = s.label.empty() ? std::to_string(i) : s.label;
    stream.role = s.role;
    stream.rtp.sample_rate_hz = call_rate_hz;
    stream.rtp.depth_ms = config_.jitter_depth_ms;
    stream.rtp.telephone_event_payload_type = telephone_event_type(s);
    stream.srtp_suite = s.srtp_suite;
    stream.srtp_key = s.srtp_key;
    streams.push_back(std::move(stream));
    pairs.push_back(std::move(command.pairs[s.local_rtp_port]));
  }
  Session session;
  session.media_index = analysed;
  session.started_ns = steady_ns();
  try {
    session.media = std::make_unique<SiprecMedia>(context_, std::move(pairs), info.call_id, info.source, std::move(streams),
                                                  call_metadata(info, analysed));
  } catch (const std::exception& e) {
    stats_.sessions_refused.fetch_add(1, std::memory_order_relaxed);
    context_.log.write("siprec_refused", who + ": " + e.what() + "; BYE sent",
                       {{"sip_call_id", info.call_id}, {"src", info.source}, {"reason", e.what()}});
    signalling_->end_session(info.id);
    return;
  }
  for (const std::size_t i : analysed) session.on_hold.push_back(info.streams[i].on_hold);
  nlohmann::json ports = nlohmann::json::array();
  std::string port_text;
  for (const std::size_t i : analysed) {
    const siprec::StreamInfo& s = info.streams[i];
    ports.push_back({{"label", s.label}, {"role", features::to_string(s.role)}, {"rtp_port", s.local_rtp_port}});
    port_text += " " + std::string(features::to_string(s.role)) + "=" + std::to_string(s.local_rtp_port);
  }
  context_.log.write("siprec_session_started", who + " is call " + session.media->call()->call_id() + ", RTP ports" + port_text,
                     {{"call", session.media->call()->call_id()}, {"sip_call_id", info.call_id}, {"src", info.source},
                      {"streams", ports}});
  sessions_.emplace(info.id, std::move(session));
  active_.store(sessions_.size(), std::memory_order_relaxed);
  stats_.sessions_started.fetch_add(1, std::memory_order_relaxed);
}

void SiprecIngest::update_session(Command& command) {
  const auto found = sessions_.find(command.id);
  if (found == sessions_.end()) return;  // refused at its start
  Session& session = found->second;
  const siprec::SessionInfo& info = command.info;
  const std::string call = session.media->call()->call_id();
  if (command.change.hold_changed) {
    std::string held, resumed;
    for (std::size_t k = 0; k < session.media_index.size(); ++k) {
      const std::size_t i = session.media_index[k];
      const bool hold = i < info.streams.size() && (info.streams[i].on_hold || !info.streams[i].accepted);
      const std::string role(features::to_string(info.streams[i].role));
      if (hold && !session.on_hold[k]) {
        session.media->declare_pause(k);
        stats_.holds.fetch_add(1, std::memory_order_relaxed);
        held += (held.empty() ? "" : ", ") + role;
      } else if (!hold && session.on_hold[k]) {
        resumed += (resumed.empty() ? "" : ", ") + role;
      }
      session.on_hold[k] = hold;
    }
    if (!held.empty())
      context_.log.write("siprec_hold", "call " + call + ": " + held + " on hold (a declared pause, not dead air)",
                         {{"call", call}, {"streams", held}});
    if (!resumed.empty())
      context_.log.write("siprec_resumed", "call " + call + ": " + resumed + " resumed", {{"call", call}, {"streams", resumed}});
  }
  if (command.change.metadata_changed) {
    const nlohmann::json metadata = call_metadata(info, session.media_index);
    session.media->update_metadata(metadata);
    stats_.metadata_updates.fetch_add(1, std::memory_order_relaxed);
    context_.log.write("siprec_metadata", "call " + call + ": metadata updated", {{"call", call}, {"participants", metadata["participants"]}});
  }
  // A stream added mid-call cannot join the call's two tracks: its port stays unread
  // (the pair closes here) and it is counted.
  if (!command.pairs.empty()) {
    stats_.ignored_streams.fetch_add(command.pairs.size(), std::memory_order_relaxed);
    context_.log.write("siprec_stream_ignored",
                       "SIPREC session " + std::to_string(info.id) + ": a stream added by a re-INVITE is not analysed",
                       {{"call", call}});
  }
}

void SiprecIngest::end_session(std::uint64_t id, telephony::EndReason reason, const std::string& detail) {
  const auto found = sessions_.find(id);
  if (found == sessions_.end()) return;
  SiprecMedia& media = *found->second.media;
  media.end(reason, detail);
  const SiprecMediaCounters counters = media.counters();  // final: the media has ended
  for (const telephony::RtpCounters& c : counters.streams) {
    stats_.lost_packets.fetch_add(c.lost_packets, std::memory_order_relaxed);
    stats_.late_packets.fetch_add(c.late_packets + c.duplicate_packets, std::memory_order_relaxed);
    stats_.malformed_datagrams.fetch_add(c.malformed + c.rtcp_malformed, std::memory_order_relaxed);
  }
  for (const telephony::SrtpCounters& c : counters.srtp) {
    stats_.srtp_refused.fetch_add(c.auth_failures + c.replays + c.other_failures, std::memory_order_relaxed);
  }
  sessions_.erase(found);
  active_.store(sessions_.size(), std::memory_order_relaxed);
  stats_.sessions_ended.fetch_add(1, std::memory_order_relaxed);
}

void SiprecIngest::end_idle_sessions() {
  const std::int64_t now = steady_ns();
  const auto limit = static_cast<std::int64_t>(config_.idle_timeout_s * 1e9);
  std::vector<std::uint64_t> idle;
  for (const auto& [id, session] : sessions_) {
    // A hold is a declared pause: the SRC sends nothing and the session goes on.
    if (std::all_of(session.on_hold.begin(), session.on_hold.end(), [](bool h) { return h; })) continue;
    const std::int64_t last = std::max(session.media->last_datagram_ns(), session.started_ns);
    if (now - last > limit) idle.push_back(id);
  }
  for (const std::uint64_t id : idle) {
    const std::string call = sessions_.at(id).media->call()->call_id();
    context_.log.write("siprec_idle", "call " + call + ": no RTP for " + std::to_string(config_.idle_timeout_s) +
                                          " s; the session ends (BYE)",
                       {{"call", call}});
    stats_.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
    end_session(id, telephony::EndReason::connection_lost, "no RTP");
    signalling_->end_session(id);
  }
}

std::string SiprecIngest::metrics_text() const {
  const net::UdpReceiverStats& u = receiver_->stats();
  auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return stat_line("tonewatch_siprec_sessions_active", "SIPREC sessions with a call open", "gauge", active_sessions()) +
         stat_line("tonewatch_siprec_sessions_started_total", "SIPREC sessions whose call opened", "counter", v(stats_.sessions_started)) +
         stat_line("tonewatch_siprec_sessions_refused_total", "Answered SIPREC sessions whose media could not be taken (BYE sent)",
              "counter", v(stats_.sessions_refused)) +
         stat_line("tonewatch_siprec_forbidden_total", "SIP requests refused for their source address (403)", "counter", forbidden()) +
         stat_line("tonewatch_siprec_undecodable_total", "SIP messages the SIP stack could not parse (and its other diagnostics), logged at most every 10 s",
              "counter", signalling_ ? signalling_->libre_diagnostic_count() : 0) +
         stat_line("tonewatch_siprec_idle_timeouts_total", "SIPREC sessions ended for RTP idle", "counter", v(stats_.idle_timeouts)) +
         stat_line("tonewatch_siprec_holds_total", "SIPREC streams put on hold (declared pauses)", "counter", v(stats_.holds)) +
         stat_line("tonewatch_siprec_metadata_updates_total", "SIPREC re-INVITEs with new metadata", "counter", v(stats_.metadata_updates)) +
         stat_line("tonewatch_siprec_ignored_streams_total", "SIPREC streams beyond one per party, or added mid-call: not analysed",
              "counter", v(stats_.ignored_streams)) +
         stat_line("tonewatch_rtp_lost_packets_total", "RTP packets never received (ended sessions)", "counter", v(stats_.lost_packets)) +
         stat_line("tonewatch_rtp_late_packets_total", "RTP packets late or duplicate, dropped (ended sessions)", "counter",
              v(stats_.late_packets)) +
         stat_line("tonewatch_rtp_malformed_total", "Datagrams on RTP ports that were not RTP or RTCP (ended sessions)", "counter",
              v(stats_.malformed_datagrams)) +
         stat_line("tonewatch_srtp_refused_total", "SRTP datagrams that failed authentication or replay checks, dropped (ended sessions)",
              "counter", v(stats_.srtp_refused)) +
         stat_line("tonewatch_udp_datagrams_total", "Datagrams read on RTP ports", "counter", v(u.datagrams)) +
         stat_line("tonewatch_udp_kernel_dropped_total", "Datagrams the kernel dropped on RTP ports (receive buffer full)", "counter",
              v(u.kernel_dropped)) +
         stat_line("tonewatch_udp_truncated_total", "Datagrams longer than the receive buffer, cut", "counter", v(u.truncated)) +
         stat_line("tonewatch_rtp_port_pairs_open", "RTP port pairs bound", "gauge", v(u.pairs_open)) +
         stat_line("tonewatch_rtp_port_pairs_refused_total", "RTP port pairs that could not be bound (range full)", "counter",
              v(u.pairs_refused));
}

}  // namespace tw::server
