// The dashboard of a running `tonewatch serve`, over real sockets: who may reach
// what with a token (pages, API, feeds, metrics; the ingest endpoints stay open),
// logins that survive a restart; and, fed live calls, the pushed feed (one batch
// a second, alerts at once, acknowledgements), the timeline endpoint (the call so
// far, then only what is new, then the finished report) and recent calls.

#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "support/generic_stream.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/web_client.h"
#include "build_paths.h"

namespace {

using nlohmann::json;
using tw::test::Headers;
using tw::test::http_request;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "floor-7-token-2b9f4c1e";

std::string fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(tw::test::scratch_dir()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

Headers bearer() { return {{"Authorization", std::string("Bearer ") + kToken}}; }

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The tw_session cookie a Set-Cookie header sets ("tw_session=...").
std::string session_cookie(const tw::test::HttpResult& r) {
  const std::string set = r.header("set-cookie");
  return set.substr(0, set.find(';'));
}

}  // namespace

TEST_CASE("dashboard access over real sockets with a token", "[server][dashboard][access]") {
  const std::string dir = fresh_dir("dashboard-access");
  const std::string token_file = dir + "/token";
  std::ofstream(token_file) << kToken << "\n";
  auto server = std::make_unique<tw::test::ServeProcess>(dir, std::vector<std::string>{"--dashboard-token-file", token_file, "--quiet"});
  const std::uint16_t port = server->http_port();
  auto get = [&](const std::string& target, const Headers& h = {}) { return http_request("127.0.0.1", port, "GET", target, h); };

  // Probes stay open; everything with data needs the token.
  CHECK(get("/healthz").status == 200);
  CHECK(get("/readyz").status == 200);
  const auto page = get("/calls/abc?x=1");
  CHECK(page.status == 303);
  CHECK(page.header("location") == "/login?next=%2Fcalls%2Fabc%3Fx%3D1");
  for (const char* target : {"/api/calls", "/api/alerts?open=1", "/api/whoami", "/api/calls/x/timeline", "/metrics", "/assets/charts.js"}) {
    INFO(target);
    const auto r = get(target);
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate") == "Bearer realm=\"tonewatch\"");
  }
  CHECK(get("/api/calls", {{"Authorization", "Bearer wrong-token-value"}}).status == 401);
  CHECK(get("/api/calls", bearer()).status == 200);
  const auto metrics = get("/metrics", bearer());
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("tonewatch_dashboard_clients 0") != std::string::npos);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/events") == 401);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed") == 401);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/events", bearer()) == 0);

  // The login page: a wrong token is refused, the right one sets an HttpOnly, SameSite=Strict cookie.
  const auto login_page = get("/login?next=%2Fcalls%2Fabc");
  CHECK(login_page.status == 200);
  CHECK(login_page.body.find("name=\"next\" value=\"/calls/abc\"") != std::string::npos);
  CHECK(login_page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  const Headers form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  const auto wrong = http_request("127.0.0.1", port, "POST", "/login", form, "user=Dana&token=guess&next=%2F");
  CHECK(wrong.status == 401);
  CHECK(wrong.body.find("not the dashboard token") != std::string::npos);
  CHECK(wrong.header("set-cookie").empty());
  const auto login = http_request("127.0.0.1", port, "POST", "/login", form,
                                  std::string("user=Dana+Ortiz&token=") + kToken + "&next=%2Fcalls%2Fabc");
  REQUIRE(login.status == 303);
  CHECK(login.header("location") == "/calls/abc");
  CHECK(login.header("set-cookie").find("HttpOnly") != std::string::npos);
  CHECK(login.header("set-cookie").find("SameSite=Strict") != std::string::npos);
  const std::string cookie = session_cookie(login);
  REQUIRE(cookie.rfind("tw_session=v2.", 0) == 0);
  // Never a redirect to another site.
  const auto away = http_request("127.0.0.1", port, "POST", "/login", form, std::string("user=D&token=") + kToken + "&next=%2F%2Fevil.example");
  CHECK(away.header("location") == "/");

  const auto wallboard = get("/", {{"Cookie", cookie}});
  CHECK(wallboard.status == 200);
  CHECK(wallboard.body.find("id=\"rows\"") != std::string::npos);
  CHECK(wallboard.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(wallboard.header("x-content-type-options") == "nosniff");
  const auto callview = get("/calls/abc", {{"Cookie", cookie}});
  CHECK(callview.status == 200);
  CHECK(callview.body.find("id=\"chart-agitation\"") != std::string::npos);  // the report's chart section
  CHECK(callview.body.find("{{charts}}") == std::string::npos);
  CHECK(json::parse(get("/api/whoami", {{"Cookie", cookie}}).body) == json({{"user", "Dana Ortiz"}, {"token_required", true}}));
  CHECK(get("/api/whoami", {{"Cookie", cookie + "0"}}).status == 401);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed", {{"Cookie", cookie}}) == 0);
  // A page of another site cannot use the session: the browser names it in Origin.
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed", {{"Cookie", cookie}, {"Origin", "http://evil.example"}}) == 403);
  CHECK(http_request("127.0.0.1", port, "POST", "/api/alerts/abc/1/ack", {{"Cookie", cookie}, {"Origin", "http://evil.example"}}).status == 403);

  // Assets: cacheable by validator.
  const auto script = get("/assets/charts.js", {{"Cookie", cookie}});
  CHECK(script.status == 200);
  CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
  const std::string etag = script.header("etag");
  REQUIRE_FALSE(etag.empty());
  CHECK(get("/assets/charts.js", {{"Cookie", cookie}, {"If-None-Match", etag}}).status == 304);
  CHECK(get("/assets/no-such.js", {{"Cookie", cookie}}).status == 404);
  CHECK(get("/assets/login.html", {{"Cookie", cookie}}).status == 404);

  // The ingest endpoints are not behind the dashboard token.
  auto audio = std::make_shared<std::vector<std::int16_t>>(8000 * 2 * 2, 0);
  tw::test::StreamedCall call{"ingest-open", json{{"agent_id", "A-1"}}, 8000, 2, audio, 0.0};
  const tw::test::StreamOutcome played = tw::test::play_generic_streams(port, {call}, 8.0);
  CHECK(played.errors.empty());
  CHECK(played.calls_finished == 1);

  SECTION("a login outlives a server restart") {
    REQUIRE(server->stop(SIGTERM) == 0);
    server = std::make_unique<tw::test::ServeProcess>(dir, std::vector<std::string>{"--dashboard-token", kToken, "--quiet"}, false, port);
    const auto who = get("/api/whoami", {{"Cookie", cookie}});
    CHECK(who.status == 200);
    CHECK(json::parse(who.body)["user"] == "Dana Ortiz");
  }
  SECTION("logging out clears the cookie") {
    const auto out = http_request("127.0.0.1", port, "POST", "/logout", {{"Cookie", cookie}});
    CHECK(out.status == 303);
    CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  }
}

TEST_CASE("dashboard without a token serves this machine only", "[server][dashboard][access]") {
  const std::string dir = fresh_dir("dashboard-local");
  tw::test::ServeProcess server(dir, {"--quiet"});
  const std::uint16_t port = server.http_port();
  CHECK(http_request("127.0.0.1", port, "GET", "/").status == 200);
  CHECK(http_request("127.0.0.1", port, "GET", "/login").status == 303);  // nothing to log in to
  CHECK(json::parse(http_request("127.0.0.1", port, "GET", "/api/whoami").body) == json({{"user", nullptr}, {"token_required", false}}));
  // DNS rebinding: a page of attacker.example resolved to 127.0.0.1 sends its own host name.
  CHECK(http_request("127.0.0.1", port, "GET", "/api/calls", {{"Host", "attacker.example:" + std::to_string(port)}}).status == 403);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed", {{"Origin", "http://attacker.example"}}) == 403);
}

TEST_CASE("the dashboard feed and timeline follow live calls", "[server][dashboard][feed]") {
  const std::string dir = fresh_dir("dashboard-feed");
  tw::test::ServeProcess server(dir, {"--quiet"});
  const std::uint16_t port = server.http_port();

  tw::test::WebSocketClient feed("127.0.0.1", port, "/dashboard/feed");
  tw::test::WebSocketClient events("127.0.0.1", port, "/events");
  const auto first = feed.read(5.0);
  REQUIRE(first);
  const json snapshot = json::parse(*first);
  CHECK(snapshot["type"] == "snapshot");
  CHECK(snapshot["calls"].empty());
  CHECK(snapshot["features"]["alpha_ratio_db"] == "vocal effort, alpha ratio (dB)");

  // The example call (an escalation with an alert at 0:18) and two calm calls (its
  // calm first 15 s looped), six times real time, each by tools/stream_player.
  const std::string example_wav = tw::build::source_dir() + "/examples/example_call.wav";
  const std::string calm_wav = dir + "/calm.wav";
  tw::test::write_call_wav(calm_wav, *tw::test::looped(*tw::test::example_call_audio(), 2, 8000, 15.0, 40.0), 2, 8000);
  tw::test::StreamPlayer example_player(port, example_wav, "example", {"agent_id=A-17"}, 6.0);
  tw::test::StreamPlayer calm1_player(port, calm_wav, "calm-1", {"agent_id=A-02"}, 6.0);
  tw::test::StreamPlayer calm2_player(port, calm_wav, "calm-2", {"agent=B-09"}, 6.0);

  // Read both feeds side by side until the example call has ended and become a recent call.
  const auto t0 = Clock::now();
  std::vector<double> tick_times;
  std::map<std::string, std::set<std::string>> stages_seen;
  std::map<std::string, std::string> agents;
  json recent_example, feed_alert, feed_ack;
  double feed_alert_at = -1, events_alert_at = -1;
  json events_alert, events_ack;
  bool gone = false, acked = false;
  json timeline_live, timeline_newer;
  double live_until_s = -1;
  while (since(t0) < 60.0 && !(gone && !recent_example.is_null())) {
    if (const auto text = feed.read(0.02)) {
      const json m = json::parse(*text);
      if (m["type"] == "tick") {
        tick_times.push_back(since(t0));
        std::set<std::string> ids;
        for (const json& row : m["calls"]) {
          const std::string id = row["call"];
          CHECK(ids.insert(id).second);  // each call at most once a tick
          stages_seen[id].insert(row["stage"].get<std::string>());
          if (!row["agent"].is_null()) agents[id] = row["agent"];
          for (const char* field : {"duration_s", "t", "agitation", "scored", "flags", "dead_air", "open_alerts", "analysing"}) {
            INFO(field);
            CHECK(row.contains(field));
          }
        }
        for (const json& g : m["gone"]) gone = gone || g == "example";
        for (const json& r : m["recent"]) {
          if (r["call"] == "example") recent_example = r;
        }
      } else if (m["type"] == "alert" && feed_alert.is_null()) {
        feed_alert = m["alert"];
        feed_alert_at = since(t0);
      } else if (m["type"] == "ack") {
        feed_ack = m;
      }
    }
    if (const auto text = events.read(0.02)) {
      const json e = json::parse(*text);
      if (e["kind"] == "alert" && events_alert.is_null()) {
        events_alert = e;
        events_alert_at = since(t0);
      }
      if (e["type"] == "alert_acknowledged") events_ack = e;
    }
    // Once the alert is out: acknowledge it as a program would, and read the timeline mid-call.
    if (!events_alert.is_null() && !acked) {
      acked = true;
      const auto ack = http_request("127.0.0.1", port, "POST",
                                    "/api/alerts/example/" + std::to_string(events_alert["seq"].get<int>()) + "/ack?user=Tess");
      CHECK(ack.status == 200);
      const auto live = http_request("127.0.0.1", port, "GET", "/api/calls/example/timeline");
      REQUIRE(live.status == 200);
      timeline_live = json::parse(live.body);
      live_until_s = timeline_live["series"]["caller"]["time_s"].back().get<double>();
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      const auto newer = http_request("127.0.0.1", port, "GET", "/api/calls/example/timeline?after_s=" + std::to_string(live_until_s));
      REQUIRE(newer.status == 200);
      timeline_newer = json::parse(newer.body);
    }
  }
  for (tw::test::StreamPlayer* p : {&example_player, &calm1_player, &calm2_player}) {
    INFO(p->log());
    CHECK(p->wait(30.0) == 0);
  }

  // One batch a second, not a message per call.
  REQUIRE(tick_times.size() >= 5);
  const double span_s = tick_times.back() - tick_times.front();
  INFO("ticks: " << tick_times.size() << " over " << span_s << " s");
  CHECK(static_cast<double>(tick_times.size() - 1) <= span_s + 1.0);
  CHECK(static_cast<double>(tick_times.size() - 1) >= span_s * 0.7);

  // The rows: the agents from the metadata, the example call's stages changing.
  CHECK(agents["example"] == "A-17");
  CHECK(agents["calm-1"] == "A-02");
  CHECK(agents["calm-2"] == "B-09");
  CHECK(stages_seen["example"].count("calm") == 1);
  CHECK(stages_seen["example"].size() >= 2);  // calm, then escalating/venting
  CHECK(stages_seen["calm-1"] == std::set<std::string>{"calm"});

  // The alert reaches the feed as soon as /events (no waiting for the tick), with its explanation.
  REQUIRE_FALSE(events_alert.is_null());
  REQUIRE_FALSE(feed_alert.is_null());
  CHECK(feed_alert["seq"] == events_alert["seq"]);
  CHECK(feed_alert["details"]["reason"] == "escalation");
  CHECK_FALSE(feed_alert["explanation"].get<std::string>().empty());
  INFO("alert on /events at " << events_alert_at << " s, on the feed at " << feed_alert_at << " s");
  CHECK(std::abs(feed_alert_at - events_alert_at) < 0.5);
  // The acknowledgement goes out on both.
  REQUIRE_FALSE(feed_ack.is_null());
  CHECK(feed_ack["seq"] == events_alert["seq"]);
  CHECK(feed_ack["acknowledged_by"] == "Tess");
  REQUIRE_FALSE(events_ack.is_null());
  CHECK(events_ack["details"]["acknowledged_by"] == "Tess");

  // The timeline mid-call: the report so far, then only the newer seconds.
  REQUIRE(timeline_live.is_object());
  CHECK(timeline_live["format"] == "tonewatch-call-report");
  CHECK(timeline_live["live"] == true);
  CHECK(timeline_live["ui"]["explanations"].size() == timeline_live["events"].size());
  CHECK(live_until_s >= 10.0);
  const json& newer = timeline_newer["series"]["caller"]["time_s"];
  REQUIRE_FALSE(newer.empty());
  CHECK(newer.front().get<double>() > live_until_s);
  CHECK(timeline_newer["after_s"].get<double>() == Approx(live_until_s));
  CHECK(timeline_newer["events"].size() >= timeline_live["events"].size());

  // Ended: a recent call with its verdict and stage history, its report served, the timeline whole.
  REQUIRE_FALSE(recent_example.is_null());
  CHECK(recent_example["verdict"].get<std::string>().rfind("Escalated at", 0) == 0);
  CHECK(recent_example["stages"].size() >= 3);
  CHECK(recent_example["report"] == "/calls/example/report");
  CHECK(recent_example["agent"] == "A-17");
  const auto report = http_request("127.0.0.1", port, "GET", "/calls/example/report");
  CHECK(report.status == 200);
  CHECK(report.body.find("id=\"report-data\"") != std::string::npos);
  CHECK(report.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  const json whole = json::parse(http_request("127.0.0.1", port, "GET", "/api/calls/example/timeline").body);
  CHECK(whole["live"] == false);
  CHECK(whole["report"] == "/calls/example/report");
  std::ifstream report_json(dir + "/example.report.json");
  const json written = json::parse(report_json);
  CHECK(whole["events"] == written["events"]);
  CHECK(whole["verdict"] == recent_example["verdict"]);
  const json status = json::parse(http_request("127.0.0.1", port, "GET", "/api/calls/example").body);
  CHECK(status["verdict"] == recent_example["verdict"]);
  CHECK(status["ended_unix_ms"].get<std::int64_t>() > 0);
  CHECK(http_request("127.0.0.1", port, "GET", "/api/calls/nope/timeline").status == 404);
  CHECK(http_request("127.0.0.1", port, "GET", "/api/calls/example/timeline?after_s=-3").status == 400);
  CHECK(server.stop(SIGTERM) == 0);
}
