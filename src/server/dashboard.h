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
// server's /api, /metrics and /events. In a fleet, the call view and the report of a
// call another instance holds are asked of that instance (remote_call_view.h).

#include <functional>
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
#include "server/remote_call_view.h"

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

  /// In a fleet (serve --bus): the call view of a call another instance holds. `holder`
  /// names the instance holding a call this one does not (nothing if none is known);
  /// `fetch` asks it (remote_call_view.h) and calls `reply` once, from any thread.
  struct RemoteViews {
    std::function<std::optional<std::string>(const std::string& call)> holder;
    std::function<void(const std::string& instance, const ViewRequest& request, std::function<void(net::Response)> reply)> fetch;
  };
  /// Before the server starts.
  void set_remote(RemoteViews remote) { remote_ = std::move(remote); }
  /// What this instance answers another's request for the view of a call it holds: what
  /// its own /api/calls/{id}/timeline or /calls/{id}/report would. Any thread.
  net::Response answer_view(const ViewRequest& request) const;
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
  /// `ask_holder`: a call this instance does not know is asked of the instance that holds
  /// it (a supervisor's request); false for another instance's request (never passed on).
  net::Response report_file(const std::string& call_id, bool ask_holder) const;
  net::Response timeline(const net::Request& request, const std::string& call_id) const;
  net::Response local_timeline(const std::string& call_id, double after_s, bool ask_holder) const;
  /// A deferred response with the holder's answer, or nothing when no other instance
  /// holds `request.call`.
  std::optional<net::Response> from_holder(const ViewRequest& request) const;

  CallRegistry& registry_;
  Metrics& metrics_;
  DashboardAccess access_;
  LoginThrottle throttle_;
  std::ostream* log_;
  DashboardFeed feed_;
  RemoteViews remote_;
};

/// The HTML text of `raw` for element content and quoted attributes.
std::string html_text(const std::string& raw);

}  // namespace tw::server
