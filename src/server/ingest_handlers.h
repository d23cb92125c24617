#pragma once
// Connections that bring call audio: each pairs a protocol adapter (bytes in,
// timestamped audio out; src/telephony) with an IngestLeg that puts the audio into
// its call (src/server). The net layer sees only ConnectionHandler.

#include <memory>
#include <string>

#include "features/speaker_role.h"
#include "net/connection_handler.h"
#include "server/call_registry.h"
#include "server/metrics.h"
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
};

/// The handler of a WebSocket connection on /twilio.
std::unique_ptr<net::ConnectionHandler> open_twilio(IngestContext& context, const net::Request& request,
                                                    std::shared_ptr<net::Outbox> outbox);
/// The handler of a WebSocket connection on /stream.
std::unique_ptr<net::ConnectionHandler> open_generic(IngestContext& context, const net::Request& request,
                                                     std::shared_ptr<net::Outbox> outbox);
/// The handler of a WebSocket connection on /audiohook, or null with `refusal` set
/// (401 and a log line) when the request's API key or signature does not verify.
std::unique_ptr<net::ConnectionHandler> open_audiohook(IngestContext& context, const net::Request& request,
                                                       std::shared_ptr<net::Outbox> outbox, net::Response& refusal);
/// The handler of an AudioSocket TCP connection; `role` says which listener took it.
std::unique_ptr<net::ConnectionHandler> open_audiosocket(IngestContext& context, const std::string& remote,
                                                         std::shared_ptr<net::Outbox> outbox, features::SpeakerRole role);

}  // namespace tw::server
