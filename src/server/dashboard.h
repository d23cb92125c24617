#pragma once
// The supervisor's dashboard, served by `tonewatch serve` from the same process:
// the wallboard (/) with every live call, alerts as toasts, the live call view
// (/calls/{id}) with the report's charts growing second by second, recent calls
// with their verdicts and reports, and the login page when a token is set. The
// pages, styles and scripts are the embedded assets/ files; the data comes from
// the JSON API, the timeline endpoint and the pushed feed (/dashboard/feed).
//
// Routes added: GET / , /calls/{id}, /calls/{id}/report, /assets/{name},
// /api/whoami, /api/calls/{id}/timeline[?after_s=T], GET/POST /login, POST /logout,
// WebSocket /dashboard/feed. Access rules (DashboardAccess) also guard the
// server's /api, /metrics and /events.

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "net/connection_handler.h"
#include "net/http_server.h"
#include "server/call_registry.h"
#include "server/dashboard_access.h"
#include "server/dashboard_feed.h"
#include "server/event_hub.h"
#include "server/metrics.h"

namespace tw::server {

struct DashboardConfig {
  AccessConfig access;
  FeedConfig feed;
  LoginThrottle::Config throttle;  ///< failed logins and wrong bearer tokens per address
  std::ostream* log = nullptr;     ///< failed logins and throttling, one line each
};

class Dashboard {
 public:
  /// Throws std::invalid_argument for an unusable token (see DashboardAccess).
  /// Must outlive the HttpServer it is installed in (connections hold its feed).
  Dashboard(CallRegistry& registry, EventHub& hub, Metrics& metrics, DashboardConfig config);

  /// Puts the dashboard in front of the server's routes, before the HttpServer is
  /// built: `config.http` is wrapped (the dashboard's pages and endpoints, the
  /// access rules in front of everything but /healthz and /readyz; the rest goes
  /// to the previous handler), the /events route's opener gets the access rules,
  /// and /dashboard/feed is added.
  void install(net::ServerConfig& config);

  /// Starts and stops the feed's once-a-second updates.
  void start() { feed_.start(); }
  void stop() { feed_.stop(); }

  /// Answers one plain HTTP request; `next` answers what the dashboard does not own.
  net::Response handle(const net::Request& request, const net::HttpHandler& next);

  DashboardFeed& feed() noexcept { return feed_; }
  const DashboardAccess& access() const noexcept { return access_; }

 private:
  net::Response login(const net::Request& request);
  /// 429 while the request's address is throttled (it presents a credential to check).
  std::optional<net::Response> throttled(const net::Request& request);
  /// Counts, logs and throttles a wrong token from the request's address.
  void authentication_failed(const net::Request& request, const char* kind);
  net::Response refuse(const net::Request& request, const AccessDecision& decision) const;
  net::Response page(const char* asset) const;
  net::Response asset(const net::Request& request, const std::string& name) const;
  net::Response report_file(const std::string& call_id) const;
  net::Response timeline(const net::Request& request, const std::string& call_id) const;

  CallRegistry& registry_;
  Metrics& metrics_;
  DashboardAccess access_;
  LoginThrottle throttle_;
  std::ostream* log_;
  DashboardFeed feed_;
};

/// The HTML text of `raw` for element content and quoted attributes.
std::string html_text(const std::string& raw);

}  // namespace tw::server
