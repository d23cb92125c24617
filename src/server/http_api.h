#pragma once
// The server's HTTP endpoints for programs: health, metrics, calls and alerts as
// JSON, and the /events WebSocket feed. (The supervisor's pages build on these.)

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/connection_handler.h"
#include "server/call_registry.h"
#include "server/event_hub.h"
#include "server/metrics.h"

namespace tw::server {

/// What became of an acknowledgement sent on to the instance holding the alert.
struct ForwardedAck {
  enum class Outcome {
    unknown,      ///< no instance of the fleet is known to hold it (404)
    sent,         ///< on the bus to `instance` (202)
    already,      ///< known there and acknowledged already (409)
    unavailable,  ///< the bus did not take it (503)
  };
  Outcome outcome = Outcome::unknown;
  std::string instance;
};

struct ApiContext {
  CallRegistry& registry;
  EventHub& hub;
  Metrics& metrics;
  /// Extra metric lines rendered after the registry's (net stats, queues).
  std::function<std::string()> extra_metrics;
  /// False once shutdown began: /readyz answers 503 so a load balancer stops sending calls.
  std::function<bool()> ready;
  /// Called before /metrics is rendered (the registry publishes its live calls' counters).
  std::function<void()> before_metrics = {};
  /// Told of each pause or resume asked of a call's stream (for the log).
  std::function<void(const std::string& call, const std::string& request, const std::string& user)> on_stream_request = {};
  /// In a fleet (docs/fleet.md): an acknowledgement of an alert this instance does not hold
  /// goes to the instance that does (ForwardedAck says what became of it).
  std::function<ForwardedAck(const std::string& call, std::uint64_t seq, const std::string& user)> forward_ack = {};
};

/// A call's status as the API shows it (with its open episodes and alerts from the hub).
/// The segments of a request path after its leading '/': "/api/calls/x" gives
/// {"api", "calls", "x"}; a trailing '/' gives a last empty segment.
std::vector<std::string> split_path(const std::string& path);

nlohmann::json call_json(const CallStatus& status, const EventHub& hub);
/// An alert record as JSON (the event, plus acknowledged_by / acknowledged_unix_ms).
nlohmann::json alert_json(const AlertRecord& record);

/// Answers GET /healthz, /readyz, /metrics, /api/calls, /api/calls/{id}, /api/alerts[?open=1],
/// and POST /api/alerts/{call}/{seq}/ack?user=NAME. Unknown paths: 404. Returns nullopt-like
/// (status 0) for paths it does not own, so another handler may take them.
net::Response handle_api(ApiContext& context, const net::Request& request);

/// The handler of a WebSocket connection on /events: every event as a JSON text
/// message, or one call's with ?call=ID. A slow reader's messages are dropped and counted.
std::unique_ptr<net::ConnectionHandler> open_event_feed(EventHub& hub, const net::Request& request,
                                                        std::shared_ptr<net::Outbox> outbox);

}  // namespace tw::server
