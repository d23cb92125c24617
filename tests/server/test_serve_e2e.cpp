// `tonewatch serve` end to end: a real server process on loopback sockets, fed by
// the stream player (a client written from the platforms' documents, sharing no
// code with the server), compared with `tonewatch analyze` on the same audio.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "alerts/hmac.h"
#include "app/default_model.h"
#include "batch/call_job.h"
#include "support/http_receiver.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/ws_client.h"
#include "build_paths.h"

using nlohmann::json;
using namespace std::chrono_literals;
using tw::test::ServeProcess;

namespace {

std::string example_path() { return tw::build::source_dir() + "/examples/example_call.wav"; }

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/e2e-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<json> read_lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// The example call analysed by the batch path, once.
struct Batch {
  std::vector<json> events;
  json summary, report;
};
const Batch& batch() {
  static const Batch b = [] {
    static const tw::detect::AgitationModel model = tw::app::load_agitation_model();
    tw::batch::CallJobOptions job;
    job.model = &model;
    job.output.dir = fresh_dir("batch");
    const auto result = tw::batch::analyze_call(example_path(), "example_call", job);
    REQUIRE(result.status == tw::batch::CallResult::Status::analysed);
    return Batch{read_lines(job.output.dir + "/example_call.events.jsonl"), result.summary,
                 read_json(job.output.dir + "/example_call.report.json")};
  }();
  return b;
}

// Events without their call id: what must be identical between a live call and the recording.
std::vector<json> without_call(std::vector<json> events) {
  for (json& e : events) e.erase("call");
  return events;
}

tw::test::CommandResult play(const std::vector<std::string>& args) {
  std::vector<std::string> all = {example_path()};
  all.insert(all.end(), args.begin(), args.end());
  return tw::test::run_command(tw::test::stream_player_binary(), all);
}

constexpr const char* kAudioHookSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";  // base64 of "secret-secret-secret"

}  // namespace

TEST_CASE("every protocol: the example call streamed into tonewatch serve gives the events and report of analyze",
          "[server][e2e]") {
  const Batch& expected = batch();
  REQUIRE(expected.events.size() >= 5);
  const std::string out = fresh_dir("protocols");
  // At 8x real time a 1 s buffer is 125 ms of wall time; a busy CI machine can
  // hold a worker off longer than that, and this test needs every frame, so the
  // legs buffer 8 s (1 s of wall time). Drops under real-time pace are the load
  // benchmark's business.
  ServeProcess server(out, {"--audiohook-key", std::string("key-1:") + kAudioHookSecret, "--leg-buffer-s", "8"}, true);
  tw::test::WsClient feed(server.http_port(), "/events");
  REQUIRE(feed.connected());

  const std::string port = std::to_string(server.http_port());
  // 8x real time: the five calls run side by side in about ten seconds.
  const std::vector<std::pair<std::string, std::vector<std::string>>> calls = {
      {"CAtwilio", {"--protocol", "twilio", "--port", port, "--call-id", "CAtwilio", "--speed", "8"}},
      {"CAsplit", {"--protocol", "twilio-split", "--port", port, "--call-id", "CAsplit", "--speed", "8"}},
      {"generic-1", {"--protocol", "generic", "--port", port, "--call-id", "generic-1", "--speed", "8"}},
      {"0b1e9a4c-2f7d-4c1b-9a53-0d6f1e2a3b4c",
       {"--protocol", "audiohook", "--port", port, "--call-id", "0b1e9a4c-2f7d-4c1b-9a53-0d6f1e2a3b4c", "--speed", "8",
        "--api-key", "key-1", "--client-secret", kAudioHookSecret}},
      {"5f0e8d2a-1b3c-4d5e-8f90-a1b2c3d4e5f6",
       {"--protocol", "audiosocket", "--port", std::to_string(server.caller_port()), "--agent-port",
        std::to_string(server.agent_port()), "--call-id", "5f0e8d2a-1b3c-4d5e-8f90-a1b2c3d4e5f6", "--speed", "8"}}};
  std::vector<std::future<tw::test::CommandResult>> players;
  for (const auto& [id, args] : calls) players.push_back(std::async(std::launch::async, [args = args] { return play(args); }));
  for (std::size_t i = 0; i < players.size(); ++i) {
    const auto result = players[i].get();
    INFO(calls[i].first << ": " << result.err);
    CHECK(result.exit_code == 0);
  }
  const json listed = tw::test::wait_for_ended_calls(server.http_port(), calls.size(), 30.0);
  REQUIRE(listed["recent"].size() == calls.size());

  for (const auto& [id, args] : calls) {
    INFO("call " << id << " (" << args[1] << ")");
    const std::string base = out + "/" + id;
    REQUIRE(std::filesystem::exists(base + ".summary.json"));
    const json summary = read_json(base + ".summary.json");
    // Nothing was lost on the way, so the analysis must be the recording's, event for event.
    CHECK(summary["input"]["overflowed_frames"] == 0);
    CHECK(summary["input"]["stall_fill_frames"] == 0);
    CHECK(without_call(read_lines(base + ".events.jsonl")) == without_call(expected.events));
    CHECK(summary["duration_s"] == expected.summary["duration_s"]);
    CHECK(summary["speakers"] == expected.summary["speakers"]);
    CHECK(summary["detection"] == expected.summary["detection"]);
    json report = read_json(base + ".report.json"), batch_report = expected.report;
    for (json* r : {&report, &batch_report}) {
      r->erase("call");
      r->erase("summary");
      r->erase("events");
    }
    CHECK(report == batch_report);
    CHECK(std::filesystem::exists(base + ".report.html"));
    CHECK(std::filesystem::exists(base + ".windows.csv"));
  }

  // The live feed carried every call's events, each call's in order.
  std::map<std::string, std::vector<json>> fed;
  while (auto message = feed.read(2.0)) {
    json e = json::parse(*message);
    fed[e["call"].get<std::string>()].push_back(e);
  }
  CHECK(fed.size() == calls.size());
  for (auto& [id, events] : fed) {
    INFO("feed for " << id);
    CHECK(without_call(events) == without_call(expected.events));
  }
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_calls_total{protocol=\"twilio\"}") == 2);
  // Every ingest connection has ended, and its object is gone with it: a session
  // kept alive by its own handler would keep its call in memory for good.
  double objects = -1.0, open = -1.0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    const std::string now = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
    objects = tw::test::metric_value(now, "tonewatch_connection_objects");
    open = tw::test::metric_value(now, "tonewatch_open_connections");
    if (objects == open) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(objects == open);
  CHECK(open == 1);  // the /events feed; every ingest connection counted closed (AudioSocket legs end by hangup)
  CHECK(tw::test::metric_value(metrics, "tonewatch_calls_total{protocol=\"generic_ws\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_calls_total{protocol=\"audiohook\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_calls_total{protocol=\"audiosocket\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_audio_analysed_seconds_total") >= 5 * 79);
  CHECK(tw::test::metric_value(metrics, "tonewatch_analysis_lag_seconds_count") > 0);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("bad input closes only the offending connection / a call streaming alongside is unaffected", "[server][e2e]") {
  const Batch& expected = batch();
  const std::string out = fresh_dir("bad-input");
  ServeProcess server(out, {"--idle-timeout", "2", "--max-message-bytes", "65536", "--quiet", "--leg-buffer-s", "4"}, true);
  const std::uint16_t port = server.http_port();
  auto good = std::async(std::launch::async, [&] {
    return play({"--protocol", "twilio", "--port", std::to_string(port), "--call-id", "CAgood", "--speed", "4"});
  });

  auto closed_with = [&](tw::test::WsClient& c) {
    REQUIRE(c.wait_closed(10.0));
    return c.close_code();
  };
  const std::string start = R"({"event":"start","sequenceNumber":"1","start":{"streamSid":"MZx","callSid":"CAbad","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{}},"streamSid":"MZx"})";
  {
    tw::test::WsClient c(port, "/twilio");
    REQUIRE(c.connected());
    c.send_text("{\"event\": \"start\", ");  // malformed JSON
    CHECK(closed_with(c) != 1000);
    CHECK_FALSE(c.close_reason().empty());
  }
  {
    tw::test::WsClient c(port, "/twilio");
    c.send_text(R"({"event":"media","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AAAA"},"streamSid":"MZx"})");
    CHECK(closed_with(c) != 1000);  // media before start
  }
  {
    tw::test::WsClient c(port, "/twilio");
    c.send_text(start);
    c.send_text(R"({"event":"media","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"!!not base64!!"},"streamSid":"MZx"})");
    c.send_text(R"({"event":"stop","streamSid":"MZx"})");
    c.wait_closed(5.0);
  }
  {
    tw::test::WsClient c(port, "/twilio");
    std::string wrong = start;
    wrong.replace(wrong.find("audio/x-mulaw"), 13, "audio/x-l16");
    wrong.replace(wrong.find("CAbad"), 5, "CAcodec");
    c.send_text(wrong);
    CHECK(closed_with(c) == 1003);  // a codec it cannot take
  }
  {
    tw::test::WsClient c(port, "/stream");
    c.send_text(std::string(70000, 'x'));  // over --max-message-bytes
    CHECK(closed_with(c) == 1009);
  }
  {
    // An abrupt disconnect in the middle of a frame: a WebSocket frame header announcing
    // 1000 bytes, 10 of them, then the TCP connection closes.
    tw::test::WsClient c(port, "/stream");
    c.send_text(R"({"call_id":"cut","sample_rate":8000})");
    c.send_binary(std::string(1600, '\0'));
    c.drop();
  }
  // Thousands of connect/disconnect cycles, and a burst of WebSocket handshakes dropped at once.
  for (int i = 0; i < 2000; ++i) {
    const int fd = tw::test::raw_connect(port);
    REQUIRE(fd >= 0);
    ::close(fd);
  }
  for (int i = 0; i < 100; ++i) {
    tw::test::WsClient c(port, "/twilio");
    CHECK(c.connected());
    c.drop();
  }
  // A client that sends one byte a second never completes a message: cut off by the idle timeout.
  {
    const int fd = tw::test::raw_connect(server.caller_port());
    REQUIRE(fd >= 0);
    bool cut_off = false;
    for (int i = 0; i < 8 && !cut_off; ++i) {
      const char byte = 0x10;
      if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) cut_off = true;
      std::this_thread::sleep_for(1s);
      char buffer[16];
      if (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) == 0) cut_off = true;
    }
    ::close(fd);
    CHECK(cut_off);
  }
  // AudioSocket garbage: an unknown type with a huge announced length.
  {
    const int fd = tw::test::raw_connect(server.agent_port());
    const unsigned char bad[] = {0x77, 0xff, 0xff, 1, 2, 3};
    (void)::send(fd, bad, sizeof bad, MSG_NOSIGNAL);
    char buffer[16];
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK(::recv(fd, buffer, sizeof buffer, 0) == 0);  // the server closed it
    ::close(fd);
  }
  // AudioHook without credentials: 401, and it is never a call.
  {
    tw::test::WsClient c(port, "/audiohook");
    CHECK_FALSE(c.connected());
    CHECK(c.refusal_status() == 401);
  }

  const auto played = good.get();
  INFO(played.err);
  REQUIRE(played.exit_code == 0);
  REQUIRE(tw::test::wait_for_calls_ended(port, {"CAgood"}, 20.0));
  const json summary = read_json(out + "/CAgood.summary.json");
  CHECK(summary["input"]["overflowed_frames"] == 0);
  CHECK(without_call(read_lines(out + "/CAgood.events.jsonl")) == without_call(expected.events));
  CHECK(tw::test::http_request(port, "GET", "/healthz").status == 200);
  const std::string metrics = tw::test::http_request(port, "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_malformed_total{protocol=\"twilio\",reason=\"invalid_json\"}") >= 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_idle_timeouts_total") >= 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_rejected_connections_total{reason=\"unauthorized\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_protocol_errors_total") >= 1);
  CHECK(server.err().find("refused (401)") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("serve --max-calls refuses the call over the limit with a close reason", "[server][e2e]") {
  const std::string out = fresh_dir("max-calls");
  ServeProcess server(out, {"--max-calls", "1", "--quiet"});
  tw::test::WsClient first(server.http_port(), "/stream");
  first.send_text(R"({"call_id":"one","sample_rate":8000})");
  first.send_binary(std::string(3200, '\0'));
  std::this_thread::sleep_for(300ms);
  tw::test::WsClient second(server.http_port(), "/stream");
  second.send_text(R"({"call_id":"two","sample_rate":8000})");
  REQUIRE(second.wait_closed(5.0));
  CHECK(second.close_code() == 1013);
  CHECK(second.close_reason().find("--max-calls 1") != std::string::npos);
  first.close();
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_rejected_connections_total{reason=\"max_calls\"}") == 1);
  CHECK(server.stop(SIGTERM) == 0);
  CHECK(std::filesystem::exists(out + "/one.summary.json"));
  CHECK_FALSE(std::filesystem::exists(out + "/two.summary.json"));
}

TEST_CASE("SIGTERM mid-call: open calls are finished and written / exit 0", "[server][e2e]") {
  const std::string out = fresh_dir("sigterm");
  ServeProcess server(out, {"--quiet"});
  auto player = std::async(std::launch::async, [&] {
    return play({"--protocol", "twilio", "--port", std::to_string(server.http_port()), "--call-id", "CAterm", "--speed", "1"});
  });
  std::this_thread::sleep_for(3s);
  CHECK(server.stop(SIGTERM, 30.0) == 0);
  player.get();  // the player sees its connection go away
  REQUIRE(std::filesystem::exists(out + "/CAterm.summary.json"));
  const json summary = read_json(out + "/CAterm.summary.json");
  CHECK(summary["duration_s"].get<double>() > 1.5);
  CHECK(summary["duration_s"].get<double>() < 10.0);
  CHECK(std::filesystem::exists(out + "/CAterm.report.html"));
}

TEST_CASE("TLS: a wss stream is analysed and a plain connection to the TLS port is refused", "[server][e2e]") {
  const std::string dir = fresh_dir("tls");
  const auto made = tw::test::run_command("/usr/bin/openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                                               dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "1",
                                                               "-subj", "/CN=localhost"});
  REQUIRE(made.exit_code == 0);
  ServeProcess server(dir + "/out", {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem", "--quiet"});
  {
    tw::test::WsClient plain(server.http_port(), "/stream");
    CHECK_FALSE(plain.connected());
  }
  tw::test::WsClient c(server.http_port(), "/stream", true);
  REQUIRE(c.connected());
  c.send_text(R"({"call_id":"secure","sample_rate":8000,"agent_id":"A17"})");
  for (int i = 0; i < 50; ++i) c.send_binary(std::string(320, '\x01'));  // 1 s of near-silence
  c.close();
  std::this_thread::sleep_for(500ms);
  CHECK(server.stop(SIGTERM) == 0);
  const json summary = read_json(dir + "/out/secure.summary.json");
  CHECK(summary["duration_s"].get<double>() == Approx(1.0).margin(0.02));
  CHECK(summary["input"]["metadata"]["agent_id"] == "A17");
}

TEST_CASE("webhooks: a receiver down for the first half of the call gets every alert exactly once / in order",
          "[server][e2e][webhook]") {
  const Batch& expected = batch();
  std::vector<json> expected_alerts;
  for (const json& e : expected.events) {
    if (e["kind"] == "alert") expected_alerts.push_back(e);
  }
  REQUIRE_FALSE(expected_alerts.empty());

  tw::test::HttpReceiver receiver(false);  // down
  const std::string out = fresh_dir("webhook");
  ServeProcess server(out, {"--webhook", receiver.url(), "--webhook-secret", "s3cret", "--quiet", "--leg-buffer-s", "4"});
  // The example call at 4x: the receiver comes up halfway (about 40 s of call time in).
  auto player = std::async(std::launch::async, [&] {
    return play({"--protocol", "twilio", "--port", std::to_string(server.http_port()), "--call-id", "CAhook", "--speed", "4"});
  });
  std::this_thread::sleep_for(10s);
  receiver.up();
  REQUIRE(player.get().exit_code == 0);
  REQUIRE(receiver.wait_for(
      [&](const std::vector<tw::test::HttpRequest>& r) {
        std::size_t ok = 0;
        for (const auto& x : r) ok += x.status == 200;
        return ok >= expected_alerts.size();
      },
      30s));
  std::this_thread::sleep_for(1s);  // any duplicate would have arrived by now
  std::vector<json> delivered;
  std::set<std::string> keys;
  for (const auto& r : receiver.requests()) {
    if (r.status != 200) continue;
    CHECK(keys.insert(r.header("idempotency-key")).second);  // never the same event twice
    CHECK(tw::alerts::verify_webhook_signature("s3cret", r.header("x-tonewatch-timestamp"), r.body,
                                               r.header("x-tonewatch-signature")));
    json body = json::parse(r.body);
    body.erase("sequence");
    delivered.push_back(body);
  }
  CHECK(without_call(delivered) == without_call(expected_alerts));
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_webhook_delivered_total{url=\"" + receiver.url() + "\"}") ==
        static_cast<double>(expected_alerts.size()));
  CHECK(server.stop(SIGTERM) == 0);
}
