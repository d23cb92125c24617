#pragma once
// Connections that bring call audio: each pairs a protocol adapter (bytes in,
// timestamped audio out; src/telephony) with an IngestLeg that puts the audio into
// its call (src/server). The net layer sees only ConnectionHandler.

#include <memory>
#include <string>
#include <vector>

#include "features/speaker_role.h"
#include "net/connection_handler.h"
#include "server/call_registry.h"
#include "server/metrics.h"
#include "server/nonce_cache.h"
#include "server/server_log.h"
#include "telephony/audiohook_adapter.h"
#include "telephony/audiosocket_adapter.h"
#include "telephony/generic_stream_adapter.h"
#include "telephony/http_signature.h"
#include "telephony/twilio_stream_adapter.h"

namespace tw::server {

/// What the ingest endpoints need to open legs.
struct IngestContext {
  CallRegistry& registry;
  Metrics& metrics;
  ServerLog log;  ///< one line per connection refused, closed on an error, or ended
  telephony::TwilioConfig twilio;
  telephony::GenericStreamConfig generic;
  telephony::AudioHookConfig audiohook;
  telephony::AudioSocketConfig audiosocket;
  telephony::AudioHookAuthConfig audiohook_auth;  ///< no credentials: AudioHook is refused (401)
  /// Origins (scheme://host[:port]) whose pages may open /twilio, /stream or
  /// /audiohook. Platforms send no Origin header; browsers always do on a
  /// WebSocket upgrade (RFC 6455 §4.1, §10.2), so an upgrade with any other
  /// Origin is a web page driving the endpoint and is refused (403).
  std::vector<std::string> allowed_origins;
  NonceCache audiohook_nonces;  ///< signed AudioHook upgrades already taken (replays are refused, 401)
};

/// The browser check of every WebSocket ingest endpoint: false, with `refusal`
/// filled in (403), counted and logged, when the upgrade carries an Origin that
/// is not in context.allowed_origins (compared ASCII case-insensitively, as
/// serialized by RFC 6454 §6.2). True for a request without Origin.
bool origin_allowed(IngestContext& context, const net::Request& request, net::Response& refusal);

/// The handler of a WebSocket connection on /twilio.
/// Null with `refusal` set (403) for a browser's foreign Origin (origin_allowed).
std::unique_ptr<net::ConnectionHandler> open_twilio(IngestContext& context, const net::Request& request,
                                                    std::shared_ptr<net::Outbox> outbox, net::Response& refusal);
/// The handler of a WebSocket connection on /stream; null with `refusal` set as open_twilio.
std::unique_ptr<net::ConnectionHandler> open_generic(IngestContext& context, const net::Request& request,
                                                     std::shared_ptr<net::Outbox> outbox, net::Response& refusal);
/// The handler of a WebSocket connection on /audiohook, or null with `refusal` set
/// (403 for a foreign Origin; 401 and a log line when the request's API key or
/// signature does not verify).
std::unique_ptr<net::ConnectionHandler> open_audiohook(IngestContext& context, const net::Request& request,
                                                       std::shared_ptr<net::Outbox> outbox, net::Response& refusal);
/// The handler of an AudioSocket TCP connection; `role` says which listener took it.
std::unique_ptr<net::ConnectionHandler> open_audiosocket(IngestContext& context, const std::string& remote,
                                                         std::shared_ptr<net::Outbox> outbox, features::SpeakerRole role);

}  // namespace tw::server
