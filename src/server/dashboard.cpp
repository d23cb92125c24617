#include "server/dashboard.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "assets/embedded_assets.h"
#include "report/call_report.h"
#include "server/http_api.h"
#include "server/log_text.h"

namespace tw::server {
namespace {

using nlohmann::json;

// The dashboard's pages load only this server's scripts, styles and feed: a call's
// metadata shown on a page can never run as script (defence in depth beside escaping).
constexpr const char* kPagePolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
// The login page: its own inline style, no script at all.
constexpr const char* kLoginPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// A finished report is self-contained (inline style and script) and fetches nothing.
constexpr const char* kReportPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

void secure_headers(net::Response& r, const char* policy) {
  r.headers.emplace_back("Content-Security-Policy", policy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("Cache-Control", "no-cache");
}

net::Response redirect(const std::string& location) {
  net::Response r = net::Response::text(303, "see " + location + "\n");
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string content_type_of(const std::string& name) {
  auto ends = [&name](const char* suffix) {
    const std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  return "application/octet-stream";
}

/// A page after login: only a path on this server (never "//host" or a URL).
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) return "/";
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  }
  return next;
}

/// Percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string query_escape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

}  // namespace

std::string html_text(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Dashboard::Dashboard(CallRegistry& registry, EventHub& hub, Metrics& metrics, DashboardConfig config)
    : registry_(registry),
      metrics_(metrics),
      access_(std::move(config.access)),
      throttle_(config.throttle),
      log_(config.log),
      feed_(registry, hub, metrics, config.feed) {}

namespace {
double steady_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
bool has_bearer(const net::Request& request) {
  const std::string authorization = request.header("authorization");
  return authorization.size() > 7 && (authorization.compare(0, 7, "Bearer ") == 0 || authorization.compare(0, 7, "bearer ") == 0);
}
}  // namespace

std::optional<net::Response> Dashboard::throttled(const net::Request& request) {
  const double wait_s = throttle_.blocked_for_s(remote_address(request.remote), steady_s());
  if (wait_s <= 0.0) return std::nullopt;
  metrics_.counter("tonewatch_auth_throttled_total", "Authentication attempts refused unchecked: too many failures from the address").add();
  // RFC 6585 §4: 429 Too Many Requests, with Retry-After (RFC 9110 §10.2.3).
  net::Response r = net::Response::text(429, "too many failed logins from this address; try again later\n");
  r.headers.emplace_back("Retry-After", std::to_string(static_cast<long long>(std::ceil(wait_s))));
  return r;
}

void Dashboard::authentication_failed(const net::Request& request, const char* kind) {
  const std::string address = remote_address(request.remote);
  const std::size_t failures = throttle_.failed(address, steady_s());
  metrics_.counter("tonewatch_auth_failures_total", "Wrong dashboard tokens, by where they were sent",
                   label("kind", kind)).add();
  // The first of a window and the one that starts the throttling: a guesser cannot flood the log.
  if (failures == 1) {
    log_line(log_, std::string("dashboard: wrong token (") + kind + ") from " + address);
  } else if (failures == throttle_.config().max_failures) {
    log_line(log_, "dashboard: " + std::to_string(failures) + " wrong tokens from " + address + " in " +
                       std::to_string(static_cast<int>(throttle_.config().window_s)) +
                       " s: its attempts are refused (429) until the window ends");
  }
}

void Dashboard::install(net::ServerConfig& config) {
  net::HttpHandler inner = config.http;
  config.http = [this, inner](const net::Request& r) { return handle(r, inner); };
  auto guarded = [this](net::WebSocketOpener open) {
    return [this, open = std::move(open)](const net::Request& r, std::shared_ptr<net::Outbox> o,
                                          net::Response& refusal) -> std::unique_ptr<net::ConnectionHandler> {
      if (has_bearer(r)) {
        if (auto busy = throttled(r)) {
          refusal = *busy;
          return nullptr;
        }
      }
      const AccessDecision d = access_.check(r, true);
      if (d.wrong_token) authentication_failed(r, "bearer");
      if (!d.allowed) {
        refusal = net::Response::text(d.status, d.reason + "\n");
        if (d.status == 401) refusal.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tonewatch\"");
        return nullptr;
      }
      return open(r, std::move(o), refusal);
    };
  };
  for (net::WebSocketRoute& route : config.websockets) {
    if (route.path == "/events") route.open = guarded(route.open);
  }
  net::WebSocketRoute feed;
  feed.path = "/dashboard/feed";
  feed.open = guarded([this](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response&) {
    return feed_.open(r, std::move(o));
  });
  feed.max_message_bytes = 4096;  // a page only asks for snapshots
  feed.idle_by_ping = true;       // a page only listens: idle is not answering pings (browsers answer them)
  feed.idle_timeout_s = 60.0;
  feed.outbox_messages = 64;      // a few seconds of ticks and alerts; past that, a snapshot replaces them
  config.websockets.push_back(std::move(feed));
}

net::Response Dashboard::handle(const net::Request& request, const net::HttpHandler& next) {
  const std::string& path = request.path;
  auto pass = [&](const net::Request& r) { return next ? next(r) : net::Response::text(404, "not found\n"); };
  if (path == "/healthz" || path == "/readyz") return pass(request);
  if (path == "/login") return login(request);
  if (path == "/logout" && request.method == "POST") {
    const AccessDecision d = access_.check(request, true);
    if (!d.allowed && d.status == 403) return refuse(request, d);
    // The session ends here, not only in this browser: a copy of the cookie no longer works.
    if (const std::string session = cookie_value(request.header("cookie"), DashboardAccess::kCookieName); !session.empty()) {
      access_.revoke(session, unix_now_s());
    }
    net::Response r = redirect(access_.token_required() ? "/login" : "/");
    r.headers.emplace_back("Set-Cookie", access_.logout_cookie(request.tls));
    return r;
  }
  const bool state_changing = request.method != "GET" && request.method != "HEAD";
  if (has_bearer(request)) {
    if (auto busy = throttled(request)) return *busy;
  }
  const AccessDecision d = access_.check(request, state_changing);
  if (d.wrong_token) authentication_failed(request, "bearer");
  if (!d.allowed) return refuse(request, d);

  const std::vector<std::string> parts = split_path(path);
  if (request.method == "GET") {
    if (path == "/") return page("wallboard.html");
    if (parts.size() == 2 && parts[0] == "calls" && !parts[1].empty()) return page("callview.html");
    if (parts.size() == 3 && parts[0] == "calls" && parts[2] == "report") return report_file(parts[1], true);
    if (parts.size() == 2 && parts[0] == "assets") return asset(request, parts[1]);
    if (path == "/api/whoami") {
      net::Response r = net::Response::json(
          200, json{{"user", d.user.empty() ? json(nullptr) : json(d.user)}, {"token_required", access_.token_required()}}.dump());
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    if (parts.size() == 4 && parts[0] == "api" && parts[1] == "calls" && parts[3] == "timeline") {
      return timeline(request, parts[2]);
    }
  }
  if (request.method == "POST" && d.via_session && parts.size() == 5 && parts[0] == "api" && parts[1] == "alerts" &&
      parts[4] == "ack") {
    // A browser's acknowledgement is the logged-in user's, whatever the page says.
    net::Request as_user = request;
    as_user.query = "user=" + query_escape(d.user);
    return pass(as_user);
  }
  return pass(request);
}

net::Response Dashboard::refuse(const net::Request& request, const AccessDecision& d) const {
  const bool page_request = request.method == "GET" && request.path.rfind("/api/", 0) != 0 && request.path != "/metrics" &&
                            request.path.rfind("/assets/", 0) != 0;
  if (d.status == 401 && page_request && access_.token_required()) {
    return redirect("/login?next=" + query_escape(request.target));
  }
  net::Response r = request.path.rfind("/api/", 0) == 0 ? net::Response::json(d.status, json{{"error", d.reason}}.dump())
                                                         : net::Response::text(d.status, d.reason + "\n");
  if (d.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tonewatch\"");
  return r;
}

net::Response Dashboard::login(const net::Request& request) {
  if (!access_.token_required()) return redirect("/");  // nothing to log in to: the page asks for a name
  auto form = [&](const std::string& error, const std::string& next, int status) {
    std::string html(assets::get("login.html"));
    auto put = [&html](const std::string& key, const std::string& value) {
      for (std::size_t at; (at = html.find(key)) != std::string::npos;) html.replace(at, key.size(), value);
    };
    put("{{error}}", error.empty() ? std::string() : "<p class=\"error\" id=\"error\">" + html_text(error) + "</p>");
    put("{{next}}", html_text(next));
    net::Response r = net::Response::text(status, html);
    r.content_type = "text/html; charset=utf-8";
    secure_headers(r, kLoginPolicy);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  };
  if (request.method == "GET") return form("", safe_next(request.query_param("next")), 200);
  if (request.method != "POST") return net::Response::text(405, "GET or POST\n");
  const AccessDecision origin = access_.check(request, true);
  if (!origin.allowed && origin.status == 403) return refuse(request, origin);
  net::Request fields;  // the form body, application/x-www-form-urlencoded: read like a query
  fields.query = request.body;
  const std::string next = safe_next(fields.query_param("next"));
  const auto user = DashboardAccess::clean_user_name(fields.query_param("user"));
  if (auto busy = throttled(request)) return *busy;
  if (!access_.token_matches(fields.query_param("token"))) {
    authentication_failed(request, "login");
    return form("That is not the dashboard token.", next, 401);
  }
  if (!user) return form("Say who you are (up to 64 characters): acknowledgements carry this name.", next, 400);
  net::Response r = redirect(next);
  r.headers.emplace_back("Set-Cookie", access_.login_cookie(access_.make_session(*user, unix_now_s()), request.tls));
  return r;
}

net::Response Dashboard::page(const char* name) const {
  std::string html(assets::get(name));
  // The call view draws the report's charts into the report's chart section.
  if (const std::size_t at = html.find("{{charts}}"); at != std::string::npos) {
    std::string_view section = assets::get("charts.html");
    section.remove_prefix(section.find('\n') + 1);  // its first line is a comment
    html.replace(at, 10, section);
  }
  net::Response r = net::Response::text(200, std::move(html));
  r.content_type = "text/html; charset=utf-8";
  secure_headers(r, kPagePolicy);
  return r;
}

net::Response Dashboard::asset(const net::Request& request, const std::string& name) const {
  const std::string_view content = assets::find(name);
  if (content.empty() || name.find(".html") != std::string::npos) return net::Response::text(404, "no such asset\n");
  const std::string etag = "\"" + assets::version() + "\"";
  net::Response r;
  if (request.header("if-none-match") == etag) {
    r.status = 304;
  } else {
    r.body = std::string(content);
  }
  r.content_type = content_type_of(name);
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");  // revalidate: a new build serves new assets at once
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

net::Response Dashboard::report_file(const std::string& call_id, bool ask_holder) const {
  CallStatus s;
  if (!registry_.find(call_id, s)) {
    if (auto remote = ask_holder ? from_holder(ViewRequest{"report", call_id, -1}) : std::nullopt) return std::move(*remote);
    return net::Response::text(404, "no such call\n");
  }
  std::string html;
  if (s.report_path.empty() || !read_file(s.report_path, html)) {
    return net::Response::text(404, s.ended ? "this call ended without a report" + (s.error.empty() ? "" : ": " + s.error) + "\n"
                                            : "the report is written when the call ends\n");
  }
  net::Response r = net::Response::text(200, std::move(html));
  r.content_type = "text/html; charset=utf-8";
  secure_headers(r, kReportPolicy);
  return r;
}

net::Response Dashboard::timeline(const net::Request& request, const std::string& call_id) const {
  double after_s = -1.0;
  if (const std::string text = request.query_param("after_s"); !text.empty()) {
    char* end = nullptr;
    after_s = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(after_s) || after_s < 0.0) {
      return net::Response::json(400, R"({"error":"after_s must be a number of seconds >= 0"})");
    }
  }
  return local_timeline(call_id, after_s, true);
}

net::Response Dashboard::local_timeline(const std::string& call_id, double after_s, bool ask_holder) const {
  json out;
  if (auto call = registry_.live(call_id)) {
    const pipeline::CallTimeline t = call->timeline().copy(after_s);
    out = report::call_report_json(t, nullptr);
    out["ui"] = report::report_ui_json(t.events);
    out["live"] = true;
    out["after_s"] = after_s >= 0.0 ? json(after_s) : json(nullptr);
    out["report"] = nullptr;
  } else {
    CallStatus s;
    if (!registry_.find(call_id, s)) {
      if (auto remote = ask_holder ? from_holder(ViewRequest{"timeline", call_id, after_s}) : std::nullopt) return std::move(*remote);
      return net::Response::json(404, R"({"error":"no such call"})");
    }
    const std::string suffix = ".report.html";
    std::string text;
    if (s.report_path.size() <= suffix.size() ||
        s.report_path.compare(s.report_path.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        !read_file(s.report_path.substr(0, s.report_path.size() - suffix.size()) + ".report.json", text)) {
      return net::Response::json(404, json{{"error", "this call ended without a report"}, {"detail", s.error}}.dump());
    }
    // The finished report, whole: the same data the report page draws.
    out = json::parse(text, nullptr, false);
    if (!out.is_object()) return net::Response::json(500, R"({"error":"the call's report.json is not readable"})");
    std::vector<alerts::Event> events;
    if (out.contains("events") && out["events"].is_array()) {
      for (const json& e : out["events"]) {
        try {
          events.push_back(alerts::event_from_json(e));
        } catch (const std::exception&) {
          events.emplace_back();  // keeps the indexes of the ones after it
        }
      }
    }
    out["ui"] = report::report_ui_json(events);
    out["live"] = false;
    out["after_s"] = nullptr;
    out["report"] = "/calls/" + s.call_id + "/report";
  }
  net::Response r = net::Response::json(200, out.dump(-1, ' ', false, json::error_handler_t::replace));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::optional<net::Response> Dashboard::from_holder(const ViewRequest& request) const {
  if (!remote_.holder || !remote_.fetch) return std::nullopt;
  const std::optional<std::string> instance = remote_.holder(request.call);
  if (!instance) return std::nullopt;
  net::Response r;
  r.deferred = [fetch = remote_.fetch, instance = *instance, request](std::function<void(net::Response)> reply) {
    fetch(instance, request, [reply = std::move(reply), instance, what = request.what](net::Response answer) {
      // The headers this instance would have sent for its own call.
      if (what == "report" && answer.status == 200) {
        secure_headers(answer, kReportPolicy);
      } else {
        answer.headers.emplace_back("Cache-Control", "no-store");
      }
      answer.headers.emplace_back("X-Tonewatch-Instance", instance);
      reply(std::move(answer));
    });
  };
  return r;
}

net::Response Dashboard::answer_view(const ViewRequest& request) const {
  // Only what this instance holds: a request is never passed on to a third instance.
  if (request.what == "report") return report_file(request.call, false);
  return local_timeline(request.call, request.after_s, false);
}

}  // namespace tw::server
