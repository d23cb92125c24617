#include "server/http_api.h"

#include <cmath>
#include <cstdlib>
#include <optional>

#include "server/dashboard_access.h"

namespace tw::server {
namespace {

nlohmann::json number_or_null(double v, int decimals) { return alerts::json_number(v, decimals); }

nlohmann::json speaker_json(const CallStatus::Speaker& s) {
  return {{"loudness_db", number_or_null(s.loudness_db, 1)},
          {"f0_hz", number_or_null(s.f0_hz, 0)},
          {"speaking_rate_syl_per_s", number_or_null(s.rate_syl_per_s, 1)},
          {"speech_s", number_or_null(s.speech_s, 1)}};
}

nlohmann::json stages_json(const std::vector<pipeline::StageSpan>& stages) {
  nlohmann::json out = nlohmann::json::array();
  for (const pipeline::StageSpan& span : stages) {
    out.push_back({{"stage", std::string(detect::to_string(span.stage))},
                   {"start_s", number_or_null(span.start_s, 2)},
                   {"end_s", number_or_null(span.end_s, 2)}});
  }
  return out;
}

class EventFeed final : public net::ConnectionHandler {
 public:
  EventFeed(EventHub& hub, std::shared_ptr<net::Outbox> outbox, std::string call) : hub_(hub) {
    id_ = hub_.subscribe([outbox = std::move(outbox), call = std::move(call)](const alerts::Event& e, const std::string& line) {
      if (call.empty() || e.call_id == call) outbox->send(line);
    });
  }
  ~EventFeed() override { hub_.unsubscribe(id_); }
  net::Verdict on_text(std::string_view) override { return net::Verdict::keep(); }  // pings from the client, ignored
  void on_closed(bool) override { hub_.unsubscribe(id_); }

 private:
  EventHub& hub_;
  int id_ = 0;
};

}  // namespace

nlohmann::json call_json(const CallStatus& s, const EventHub& hub) {
  return {{"call", s.call_id},
          {"protocol", s.protocol},
          {"metadata", s.metadata},
          {"started_unix_ms", s.started_unix_ms},
          {"duration_s", number_or_null(s.duration_s, 1)},
          {"roles", s.roles},
          {"stage", s.stage},
          {"caller_agitation", number_or_null(s.caller_agitation, 3)},
          {"caller_score", number_or_null(s.caller_score, 3)},
          {"caller_scored", s.caller_scored},
          {"caller", speaker_json(s.caller)},
          {"agent", speaker_json(s.agent)},
          {"open_episodes", hub.open_episodes(s.call_id)},
          {"open_alerts", hub.open_alert_count(s.call_id)},
          {"stages", stages_json(s.stages)},
          {"verdict", s.verdict},
          {"ended_unix_ms", s.ended ? nlohmann::json(s.ended_unix_ms) : nlohmann::json(nullptr)},
          {"analysing", s.analysing},
          {"ended", s.ended},
          {"error", s.error},
          {"report", s.report_path}};
}

nlohmann::json alert_json(const AlertRecord& r) {
  nlohmann::json j = alerts::to_json(r.event);
  j["raised_unix_ms"] = r.raised_unix_ms;
  j["acknowledged_by"] = r.acknowledged_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.acknowledged_by);
  j["acknowledged_unix_ms"] = r.acknowledged_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.acknowledged_unix_ms);
  j["call_ended"] = r.call_ended;  // closed with its call, unacknowledged (still acknowledgeable)
  return j;
}

net::Response handle_api(ApiContext& c, const net::Request& request) {
  const std::string& path = request.path;
  if (request.method == "GET" && path == "/healthz") return net::Response::text(200, "ok\n");
  if (request.method == "GET" && path == "/readyz") {
    return c.ready && !c.ready() ? net::Response::text(503, "shutting down\n") : net::Response::text(200, "ready\n");
  }
  if (request.method == "GET" && path == "/metrics") {
    if (c.before_metrics) c.before_metrics();
    net::Response r = net::Response::text(200, c.metrics.render() + (c.extra_metrics ? c.extra_metrics() : ""));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  }
  const std::vector<std::string> parts = split_path(path);
  if (parts.size() < 2 || parts[0] != "api") return net::Response::text(0, {});
  if (parts[1] == "calls" && request.method == "GET") {
    if (parts.size() == 2) {
      nlohmann::json active = nlohmann::json::array(), recent = nlohmann::json::array();
      for (const CallStatus& s : c.registry.active()) active.push_back(call_json(s, c.hub));
      for (const CallStatus& s : c.registry.recent()) recent.push_back(call_json(s, c.hub));
      return net::Response::json(200, nlohmann::json{{"calls", active}, {"recent", recent}}.dump());
    }
    if (parts.size() == 3) {
      CallStatus s;
      if (!c.registry.find(parts[2], s)) return net::Response::json(404, R"({"error":"no such call"})");
      nlohmann::json j = call_json(s, c.hub);
      nlohmann::json alerts = nlohmann::json::array();
      for (const AlertRecord& r : c.hub.alerts(false)) {
        if (r.event.call_id == s.call_id) alerts.push_back(alert_json(r));
      }
      j["alerts"] = alerts;
      return net::Response::json(200, j.dump());
    }
  }
  if (parts[1] == "calls" && request.method == "POST" && parts.size() == 4 && (parts[3] == "pause" || parts[3] == "resume")) {
    // A supervisor stops a call's audio for a while (a stretch not to be analysed) and
    // starts it again. Only a platform that takes the server's word can (AudioHook's
    // server pause; Genesys also stops charging for the stream meanwhile). The
    // stretch is then a declared pause in the call, never lost audio or dead air.
    const std::optional<std::string> user = DashboardAccess::clean_user_name(request.query_param("user"));
    if (!user) {
      return net::Response::json(400, R"({"error":"say who asks: ?user=NAME, 1 to 64 characters, no control characters"})");
    }
    switch (c.registry.request_streams(parts[2], parts[3])) {
      case CallRegistry::StreamRequest::no_such_call:
        return net::Response::json(404, R"({"error":"no such call in progress"})");
      case CallRegistry::StreamRequest::not_supported:
        return net::Response::json(
            409, R"j({"error":"this call's platform cannot be asked to pause or resume its stream (AudioHook streams can)"})j");
      case CallRegistry::StreamRequest::sent:
        break;
    }
    if (c.on_stream_request) c.on_stream_request(parts[2], parts[3], *user);
    return net::Response::json(202, nlohmann::json{{"call", parts[2]}, {"requested", parts[3]}, {"by", *user}}.dump());
  }
  if (parts[1] == "alerts") {
    if (request.method == "GET" && parts.size() == 2) {
      const bool open_only = request.query_param("open") == "1";
      nlohmann::json out = nlohmann::json::array();
      for (const AlertRecord& r : c.hub.alerts(open_only)) out.push_back(alert_json(r));
      return net::Response::json(200, nlohmann::json{{"alerts", out}}.dump());
    }
    if (request.method == "POST" && parts.size() == 5 && parts[4] == "ack") {
      char* end = nullptr;
      const unsigned long long seq = std::strtoull(parts[3].c_str(), &end, 10);
      if (end == parts[3].c_str() || *end != '\0') return net::Response::json(400, R"({"error":"bad alert sequence"})");
      // The name goes into the alert, the event stream, webhooks and the log: the
      // rules of a login name (DashboardAccess::clean_user_name), no CR, LF or NUL.
      const std::optional<std::string> user = DashboardAccess::clean_user_name(request.query_param("user"));
      if (!user) {
        return net::Response::json(
            400, R"({"error":"say who acknowledges: ?user=NAME, 1 to 64 characters, no control characters"})");
      }
      const auto ack = c.hub.acknowledge(parts[2], seq, *user);
      if (!ack) {
        if (c.hub.acknowledged_already(parts[2], seq)) return net::Response::json(409, R"({"error":"already acknowledged"})");
        if (c.forward_ack) {
          // Another instance's alert: the acknowledgement goes to it over the bus, and comes
          // back to every wallboard as its alert_acknowledged event.
          const ForwardedAck forwarded = c.forward_ack(parts[2], seq, *user);
          switch (forwarded.outcome) {
            case ForwardedAck::Outcome::sent:
              return net::Response::json(
                  202, nlohmann::json{{"call", parts[2]}, {"seq", seq}, {"forwarded_to", forwarded.instance}, {"by", *user}}.dump());
            case ForwardedAck::Outcome::already:
              return net::Response::json(409, R"({"error":"already acknowledged"})");
            case ForwardedAck::Outcome::unavailable:
              return net::Response::json(
                  503, R"({"error":"the alert is another instance's and the bus did not take the acknowledgement: try again"})");
            case ForwardedAck::Outcome::unknown:
              break;
          }
        }
        return net::Response::json(404, R"({"error":"no such alert"})");
      }
      return net::Response::json(200, alerts::to_json(*ack).dump());
    }
  }
  return net::Response::json(404, R"({"error":"unknown endpoint"})");
}

std::unique_ptr<net::ConnectionHandler> open_event_feed(EventHub& hub, const net::Request& request,
                                                        std::shared_ptr<net::Outbox> outbox) {
  return std::make_unique<EventFeed>(hub, std::move(outbox), request.query_param("call"));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t at = 1;
  while (at <= path.size()) {
    const std::size_t slash = path.find('/', at);
    parts.push_back(path.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return parts;
}

}  // namespace tw::server
