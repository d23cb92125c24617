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
#include "server/ingest_context.h"
#include "server/metrics.h"
#include "server/nonce_cache.h"
#include "server/server_log.h"
#include "telephony/audiohook_adapter.h"
#include "telephony/audiosocket_adapter.h"
#include "telephony/generic_stream_adapter.h"
#include "telephony/http_signature.h"
#include "telephony/twilio_stream_adapter.h"

namespace tw::server {

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
