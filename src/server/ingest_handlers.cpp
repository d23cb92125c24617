#include "server/ingest_handlers.h"

#include <chrono>
#include <ostream>
#include <vector>

#include "server/ingest_leg.h"
#include "server/log_text.h"
#include "text/ascii.h"

namespace tw::server {
namespace {

using features::SpeakerRole;

// WebSocket close code 1013, "Try Again Later" (IANA WebSocket Close Code Number
// Registry, RFC 6455 §11.7): the server is at its limit or shutting down.
constexpr std::uint16_t kTryAgainLater = 1013;


/// A connection's protocol counters in the metrics while it runs: the counters are
/// looked up once (at connection start, under the registry's lock) and each message
/// adds what changed with relaxed atomic adds — no lock, no allocation per packet —
/// so /metrics shows a call's frames, gaps and drops while it is in progress.
class LiveIngestCounters {
 public:
  LiveIngestCounters(Metrics& m, const std::string& protocol)
      : messages_(m.counter("tonewatch_ingest_messages_total", "Protocol messages received", label("protocol", protocol))),
        frames_(m.counter("tonewatch_ingest_audio_frames_total", "Audio frames received (per channel, at the stream's rate)",
                          label("protocol", protocol))),
        missing_(m.counter("tonewatch_ingest_missing_frames_total",
                           "Frames of lost audio (timestamp or position gaps), passed on as gaps", label("protocol", protocol))),
        paused_(m.counter("tonewatch_ingest_paused_frames_total",
                          "Frames the platform declared paused or discarded (holds, secure pauses), passed on as gaps",
                          label("protocol", protocol))),
        gaps_(m.counter("tonewatch_ingest_gaps_total", "Gaps in streams (lost, paused or discarded stretches)",
                        label("protocol", protocol))),
        late_(m.counter("tonewatch_ingest_late_chunks_total", "Chunks dropped as late or duplicate", label("protocol", protocol))),
        overlap_(m.counter("tonewatch_ingest_overlap_frames_total", "Frames trimmed from chunks overlapping audio already received",
                           label("protocol", protocol))) {}

  /// Adds what changed since the last call. Real-time safe.
  void publish(const telephony::AdapterCounters& c) noexcept {
    add(messages_, c.messages, seen_.messages);
    add(frames_, c.audio_samples, seen_.audio_samples);
    add(missing_, c.gap_fill_samples, seen_.gap_fill_samples);
    add(paused_, c.paused_samples, seen_.paused_samples);
    add(gaps_, c.gaps, seen_.gaps);
    add(late_, c.late_chunks_dropped, seen_.late_chunks_dropped);
    add(overlap_, c.overlap_samples_dropped, seen_.overlap_samples_dropped);
  }

 private:
  static void add(Counter& counter, std::uint64_t now, std::uint64_t& seen) noexcept {
    if (now > seen) counter.add(now - seen);
    seen = now;
  }
  Counter &messages_, &frames_, &missing_, &paused_, &gaps_, &late_, &overlap_;
  telephony::AdapterCounters seen_;
};

/// Counts an adapter's malformed messages into the metrics when its connection ends
/// (the rest went in as they came: LiveIngestCounters).
void record(Metrics& m, const std::string& protocol, const telephony::AdapterCounters& c) {
  const std::string p = label("protocol", protocol);
  for (std::size_t i = 0; i < c.malformed_by_reason.size(); ++i) {
    if (c.malformed_by_reason[i] == 0) continue;
    m.counter("tonewatch_ingest_malformed_total", "Malformed messages, by protocol and reason",
              p + "," + label("reason", std::string(telephony::to_string(static_cast<telephony::Malformed>(i)))))
        .add(c.malformed_by_reason[i]);
  }
}

/// A WebSocket ingest connection: the adapter on one side, the leg on the other.
template <class Adapter, class Config>
class WebSocketIngest final : public net::ConnectionHandler {
 public:
  WebSocketIngest(IngestContext& context, std::shared_ptr<net::Outbox> outbox, const std::string& remote,
                  const Config& config, std::string protocol)
      : context_(context),
        leg_(context, std::move(outbox), remote),
        adapter_(leg_, config),
        protocol_(std::move(protocol)),
        live_(context.metrics, protocol_) {}

  net::Verdict on_text(std::string_view message) override { return verdict(adapter_.on_text(message)); }
  net::Verdict on_binary(std::span<const std::uint8_t> message) override { return verdict(adapter_.on_binary(message)); }
  net::Verdict on_request(std::string_view request) override {
    if constexpr (requires(Adapter& a) { a.request_pause(true); }) {
      if (request == "pause" || request == "resume") adapter_.request_pause(request == "pause");
    }
    return net::Verdict::keep();
  }
  void on_closed(bool clean) override {
    if constexpr (requires(Adapter& a) { a.on_disconnect(true); }) {
      adapter_.on_disconnect(clean);
    } else {
      adapter_.on_disconnect();
    }
    leg_.end_legs();
    live_.publish(adapter_.counters());
    record(context_.metrics, protocol_, adapter_.counters());
  }

 private:
  net::Verdict verdict(const telephony::AdapterStatus& status) {
    live_.publish(adapter_.counters());
    if (!leg_.refused().empty()) {
      context_.metrics.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "call")).add();
      return net::Verdict::closing(kTryAgainLater, leg_.refused());
    }
    if (leg_.call_cut()) return cut_off();
    if (status.close) {
      if (status.close_code != telephony::close_code::kNormal) {
        context_.log.write("connection_closed", protocol_ + " connection closed: " + std::string(status.reason),
                           {{"protocol", protocol_}, {"code", status.close_code}, {"reason", std::string(status.reason)}});
      }
      leg_.end_legs();
      return net::Verdict::closing(status.close_code, std::string(status.reason));
    }
    return net::Verdict::keep();
  }

  net::Verdict cut_off() {
    leg_.end_legs();
    context_.metrics.counter("tonewatch_calls_cut_total", "Connections closed because their call reached --max-call-s").add();
    return net::Verdict::closing(telephony::close_code::kPolicyViolation, "the call reached its maximum length (--max-call-s)");
  }

  IngestContext& context_;
  IngestLeg leg_;
  Adapter adapter_;
  std::string protocol_;
  LiveIngestCounters live_;
};

/// An AudioSocket connection: one leg, its role given by the listener that took it.
class AudioSocketIngest final : public net::ConnectionHandler {
 public:
  AudioSocketIngest(IngestContext& context, std::shared_ptr<net::Outbox> outbox, const std::string& remote, SpeakerRole role)
      : context_(context),
        leg_(context, std::move(outbox), remote),
        adapter_(leg_, role, context.audiosocket),
        live_(context.metrics, "audiosocket") {}

  net::Verdict on_binary(std::span<const std::uint8_t> bytes) override {
    const telephony::AdapterStatus status = adapter_.on_bytes(bytes);
    live_.publish(adapter_.counters());
    if (!leg_.refused().empty()) {
      context_.metrics.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "call")).add();
      return net::Verdict::closing(kTryAgainLater, leg_.refused());
    }
    if (leg_.call_cut()) {
      leg_.end_legs();
      context_.metrics.counter("tonewatch_calls_cut_total", "Connections closed because their call reached --max-call-s").add();
      return net::Verdict::closing(telephony::close_code::kPolicyViolation, "the call reached its maximum length (--max-call-s)");
    }
    if (status.close) {
      if (status.close_code != telephony::close_code::kNormal) {
        context_.log.write("connection_closed", "audiosocket connection closed: " + std::string(status.reason),
                           {{"protocol", "audiosocket"}, {"reason", std::string(status.reason)}});
      }
      leg_.end_legs();
      return net::Verdict::closing(status.close_code, std::string(status.reason));
    }
    return net::Verdict::keep();
  }
  void on_closed(bool clean) override {
    adapter_.on_disconnect(clean);  // clean: the peer closed the socket (end of file)
    leg_.end_legs();
    live_.publish(adapter_.counters());
    record(context_.metrics, "audiosocket", adapter_.counters());
    if (!adapter_.started()) {
      // No audio ever came, so no leg and no call: without this line such a connection
      // (an Asterisk that cannot time ChanSpy's audio without a timing module, say)
      // would leave no trace but a counter.
      const std::string uuid = adapter_.uuid().empty() ? "no uuid" : "uuid " + adapter_.uuid();
      context_.log.write("connection_without_audio",
                         "audiosocket connection from " + leg_.remote() + " (" + uuid + ") ended before any audio came",
                         {{"protocol", "audiosocket"}, {"remote", leg_.remote()}, {"uuid", adapter_.uuid()}});
    }
  }
  std::uint64_t completed_messages() const noexcept override { return adapter_.counters().messages; }

 private:
  IngestContext& context_;
  IngestLeg leg_;
  telephony::AudioSocketAdapter adapter_;
  LiveIngestCounters live_;
};

telephony::HttpHeaders headers_of(const net::Request& request) {
  telephony::HttpHeaders headers;
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  return headers;
}

}  // namespace

bool origin_allowed(IngestContext& context, const net::Request& request, net::Response& refusal) {
  const auto origin = request.headers.find("origin");
  if (origin == request.headers.end()) return true;  // not a browser: platforms send none
  for (const std::string& allowed : context.allowed_origins) {
    if (text::ascii_iequals(allowed, origin->second)) return true;
  }
  // RFC 6455 §4.2.2 (and §10.2): a server that does not accept the origin answers
  // the handshake with an HTTP error, 403 Forbidden.
  refusal = net::Response::text(403, "refused: WebSocket upgrades from web pages (Origin " + origin->second +
                                         ") are not accepted here; allow one with --ingest-origin\n");
  context.metrics.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "origin")).add();
  context.log.write("connection_refused", request.path + " upgrade from " + request.remote + " refused (403): Origin " +
                                              origin->second + " is not allowed (--ingest-origin)",
                    {{"path", request.path}, {"remote", request.remote}, {"status", 403}, {"origin", origin->second}});
  return false;
}

std::unique_ptr<net::ConnectionHandler> open_twilio(IngestContext& context, const net::Request& request,
                                                    std::shared_ptr<net::Outbox> outbox, net::Response& refusal) {
  if (!origin_allowed(context, request, refusal)) return nullptr;
  return std::make_unique<WebSocketIngest<telephony::TwilioStreamAdapter, telephony::TwilioConfig>>(
      context, std::move(outbox), request.remote, context.twilio, "twilio");
}

std::unique_ptr<net::ConnectionHandler> open_generic(IngestContext& context, const net::Request& request,
                                                     std::shared_ptr<net::Outbox> outbox, net::Response& refusal) {
  if (!origin_allowed(context, request, refusal)) return nullptr;
  return std::make_unique<WebSocketIngest<telephony::GenericStreamAdapter, telephony::GenericStreamConfig>>(
      context, std::move(outbox), request.remote, context.generic, "generic_ws");
}

std::unique_ptr<net::ConnectionHandler> open_audiohook(IngestContext& context, const net::Request& request,
                                                       std::shared_ptr<net::Outbox> outbox, net::Response& refusal) {
  if (!origin_allowed(context, request, refusal)) return nullptr;
  const std::string authority = request.header("host");
  const telephony::HttpRequestInfo info{request.method, request.target, authority};
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  telephony::SignatureVerdict verdict =
      context.audiohook_auth.credentials.empty()
          ? telephony::SignatureVerdict{false, "no AudioHook API keys are configured (--audiohook-key)", {}, {}, 0}
          : telephony::verify_audiohook_request(info, headers_of(request), context.audiohook_auth, now);
  if (verdict.ok && verdict.valid_until_unix_s > 0) {  // signed: a nonce, used once
    if (verdict.nonce.empty()) {
      verdict.ok = false;
      verdict.reason = "signature has no nonce (needed to refuse replays)";
    } else {
      switch (context.audiohook_nonces.check(verdict.key_id, verdict.nonce, now, verdict.valid_until_unix_s)) {
        case NonceCache::Outcome::first_use: break;
        case NonceCache::Outcome::replay:
          verdict.ok = false;
          verdict.reason = "replayed request: this signature's nonce was already used";
          break;
        case NonceCache::Outcome::full:
          verdict.ok = false;
          verdict.reason = "too many signed requests in the replay window; try again later";
          break;
      }
    }
  }
  if (!verdict.ok) {
    refusal = net::Response::text(401, "unauthorized: " + verdict.reason + "\n");
    context.metrics.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "unauthorized")).add();
    context.log.write("connection_refused", "audiohook connection from " + request.remote + " refused (401): " + verdict.reason,
                      {{"protocol", "audiohook"}, {"remote", request.remote}, {"status", 401}, {"reason", verdict.reason}});
    return nullptr;
  }
  return std::make_unique<WebSocketIngest<telephony::AudioHookAdapter, telephony::AudioHookConfig>>(
      context, std::move(outbox), request.remote, context.audiohook, "audiohook");
}

std::unique_ptr<net::ConnectionHandler> open_audiosocket(IngestContext& context, const std::string& remote,
                                                         std::shared_ptr<net::Outbox> outbox, SpeakerRole role) {
  return std::make_unique<AudioSocketIngest>(context, std::move(outbox), remote, role);
}

}  // namespace tw::server
