#pragma once
// What every ingest (a WebSocket or TCP connection, a SIPREC session) needs to open
// legs in the registry, count into the metrics and log.

#include <string>
#include <vector>

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

}  // namespace tw::server
