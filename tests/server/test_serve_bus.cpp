// `tonewatch serve --bus` (issue 25) against a real NATS server with JetStream (Debian's
// nats-server): every event of a call reaches the stream once and in order, equal to the
// call's own events file; heartbeats name the instance; a bus outage mid-call loses and
// duplicates nothing.

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "build_paths.h"
#include "support/child_process.h"
#include "support/cli_fixtures.h"
#include "support/generic_stream.h"
#include "support/http_receiver.h"
#include "support/nats_server.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/web_client.h"
#include "support/ws_client.h"

namespace {

// The events of the call's file against the bus's: the same events, in the same order,
// each once, on the instance's subject for the call.
void check_same_events(const std::vector<nlohmann::json>& file, const std::vector<nlohmann::json>& bus,
                       const std::string& instance, const std::string& call) {
  REQUIRE(bus.size() == file.size());
  std::set<std::uint64_t> sequences;
  for (std::size_t i = 0; i < file.size(); ++i) {
    INFO("event " << i << ": " << bus[i].dump());
    // Alerts and their acknowledgements are the webhooks' (".notify"), the rest ".event".
    const bool notify = file[i].value("kind", "") == "alert" || file[i].value("type", "") == "alert_acknowledged";
    CHECK(bus[i]["_subject"] == "tonewatch.events." + instance + "." + call + (notify ? ".notify" : ".event"));
    CHECK(bus[i]["seq"] == file[i]["seq"]);
    CHECK(bus[i]["type"] == file[i]["type"]);
    CHECK(bus[i]["time_s"] == file[i]["time_s"]);
    CHECK(bus[i]["call"] == call);
    sequences.insert(bus[i]["seq"].get<std::uint64_t>());
  }
  CHECK(sequences.size() == file.size());
}

}  // namespace

TEST_CASE("serve --bus: a call's events reach the JetStream stream once each in order and heartbeats name the instance",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess serve(dir + "/out", {"--bus", nats.url(), "--instance-id", "node-1", "--quiet"});
  // Heartbeats: about one a second, naming the instance and its HTTP port.
  const std::vector<nlohmann::json> beats = tw::test::read_heartbeats(nats.url(), 2.5);
  REQUIRE(beats.size() >= 2);
  CHECK(beats.size() <= 4);
  CHECK(beats[0]["_subject"] == "tonewatch.heartbeat.node-1");
  CHECK(beats[0]["instance"] == "node-1");
  CHECK(beats[0]["http_port"] == serve.http_port());
  CHECK(beats[0]["active_calls"] == 0);

  tw::test::StreamPlayer player(serve.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "bus-call-1", {}, 20.0);
  REQUIRE(player.wait(60.0) == 0);
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {"bus-call-1"}, 30.0));
  const auto file = tw::test::read_events(dir + "/out/bus-call-1.events.jsonl");
  REQUIRE(file.size() >= 5);
  INFO(serve.err());
  check_same_events(file, tw::test::read_bus_events(nats.url(), file.size() + 1, 5.0), "node-1", "bus-call-1");
  CHECK(tw::test::bus_stream_message_count(nats.url()) == static_cast<long long>(file.size()));
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_connected") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_published_total") == static_cast<double>(file.size()));
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_dropped_total") == 0);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus: the bus down at start and again mid-call loses and duplicates no event", "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-outage");
  tw::test::NatsServer nats(dir + "/nats");
  nats.stop();  // serve starts while the bus is down: it must start anyway and catch up
  tw::test::ServeProcess serve(dir + "/out", {"--bus", nats.url(), "--instance-id", "node-2", "--quiet"});
  CHECK(serve.err().find("not connected yet") != std::string::npos);
  nats.start();
  // The example at 5x real time lasts 16 s: the bus goes down 4 s in and comes back 6 s
  // later (the same store: what it had acknowledged before stays).
  tw::test::StreamPlayer player(serve.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "bus-call-2", {}, 5.0);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  nats.stop();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  nats.start();
  REQUIRE(player.wait(60.0) == 0);
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {"bus-call-2"}, 30.0));
  const auto file = tw::test::read_events(dir + "/out/bus-call-2.events.jsonl");
  REQUIRE(file.size() >= 5);
  // The backlog drains once the client has reconnected (within a few of its 0.5 s waits).
  const auto bus = tw::test::read_bus_events(nats.url(), file.size() + 1, 10.0);
  INFO(serve.err());
  check_same_events(file, bus, "node-2", "bus-call-2");
  CHECK(tw::test::bus_stream_message_count(nats.url()) == static_cast<long long>(file.size()));
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_disconnects_total") >= 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_retries_total") >= 1);  // events did wait for the bus
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_dropped_total") == 0);
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_buffered") == 0);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus: a bad URL or instance id or --no-fleet-view without a bus is a usage error naming the flag", "[serve][bus]") {
  const std::string out = tw::test::fresh_dir("serve-bus-usage");
  auto run = [&](std::vector<std::string> flags) {
    std::vector<std::string> arguments = {"serve", "--listen", "127.0.0.1:0", "--out", out};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    tw::test::RunOptions options;
    options.timeout_s = 20.0;
    return tw::test::run_command(tw::test::tonewatch_binary(), arguments, options);
  };
  const auto url = run({"--bus", "http://127.0.0.1:4222"});
  CHECK(url.exit_code == 2);
  CHECK(url.err.find("--bus") != std::string::npos);
  const auto id = run({"--bus", "nats://127.0.0.1:4222", "--instance-id", "a.b"});
  CHECK(id.exit_code == 2);
  CHECK(id.err.find("--instance-id") != std::string::npos);
  const auto lean = run({"--no-fleet-view"});  // no bus to publish to
  CHECK(lean.exit_code == 2);
  CHECK(lean.err.find("--bus") != std::string::npos);
  const auto replicas = run({"--bus", "nats://127.0.0.1:4222", "--bus-replicas", "0"});
  CHECK(replicas.exit_code == 2);
  CHECK(replicas.err.find("--bus-replicas") != std::string::npos);
}

TEST_CASE("serve --bus-replicas 3 on a lone NATS server says why the stream cannot be made and analyses and keeps its events",
          "[serve][bus][e2e]") {
  // A cluster smaller than the replicas asked for: JetStream refuses the stream. The instance
  // must say so, go on analysing, and keep the events for the bus (counted), not lose them.
  const std::string dir = tw::test::fresh_dir("serve-bus-replicas");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess serve(dir + "/out", {"--bus", nats.url(), "--instance-id", "replicas", "--bus-replicas", "3", "--quiet"});
  {
    tw::test::StreamPlayer player(serve.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "replicas-call", {}, 20.0);
    REQUIRE(player.wait(60.0) == 0);
  }
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {"replicas-call"}, 20.0));
  const auto file = tw::test::read_events(dir + "/out/replicas-call.events.jsonl");
  REQUIRE(file.size() >= 5);
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_buffered") == static_cast<double>(file.size()));
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_published_total") == 0);
  INFO(serve.err());
  CHECK(serve.err().find("TONEWATCH_EVENTS") != std::string::npos);
  CHECK(serve.err().find("replicas") != std::string::npos);  // the server's reason, not only an error code
  CHECK(tw::test::bus_stream_message_count(nats.url()) < 0);  // no stream was made
  CHECK(serve.stop(SIGTERM) == 0);
}

namespace {

bool lists_call(const nlohmann::json& list, const std::string& call, const std::string& key, const std::string& value) {
  if (!list.is_array()) return false;
  for (const auto& entry : list)
    if (entry.is_object() && entry.value("call", "") == call && entry.value(key, "") == value) return true;
  return false;
}

}  // namespace

TEST_CASE("serve --bus: one instance's wallboard shows another's live call and marks it lost within 10 s of a kill -9",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-fleet");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess a(dir + "/out-a", {"--bus", nats.url(), "--instance-id", "fleet-a", "--quiet"});
  tw::test::ServeProcess b(dir + "/out-b", {"--bus", nats.url(), "--instance-id", "fleet-b", "--quiet"});
  // The example at 4x real time: a 20 s call on instance a.
  tw::test::StreamPlayer player(a.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "fleet-call", {"agent_id=A7"},
                                4.0);
  tw::test::WsClient feed(b.http_port(), "/dashboard/feed");
  REQUIRE(feed.connected());
  // b's wallboard gets a's call, with the instance that holds it, within a few ticks.
  std::string seen;
  const bool shown = tw::test::read_json_until(feed, 8.0, [&seen](const nlohmann::json& m) {
    seen += m.dump().substr(0, 600) + "\n";
    return lists_call(m.value("calls", nlohmann::json::array()), "fleet-call", "instance", "fleet-a");
  });
  INFO(a.err() << b.err() << "feed messages:\n" << seen);
  REQUIRE(shown);
  // a dies mid-call: its call leaves b's live rows and joins the recent calls as lost.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto killed = std::chrono::steady_clock::now();
  a.stop(SIGKILL);
  bool gone = false, lost = false;
  tw::test::read_json_until(feed, 14.0, [&](const nlohmann::json& m) {
    const auto g = m.value("gone", nlohmann::json::array());
    gone = gone || std::find(g.begin(), g.end(), "fleet-call") != g.end();
    lost = lost || lists_call(m.value("recent", nlohmann::json::array()), "fleet-call", "verdict", "lost with instance fleet-a");
    return gone && lost;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  CHECK(gone);
  CHECK(lost);
  CHECK(seconds <= 10.0);  // 6 s of silence after the last heartbeat (up to 1 s before the kill), the next tick: 6-8 s
  // A fresh wallboard on b agrees: nothing claims the call is live.
  tw::test::WsClient fresh(b.http_port(), "/dashboard/feed");
  const auto snapshot = nlohmann::json::parse(fresh.read(5.0).value_or("{}"), nullptr, false);
  CHECK_FALSE(lists_call(snapshot.value("calls", nlohmann::json::array()), "fleet-call", "instance", "fleet-a"));
  CHECK(lists_call(snapshot.value("recent", nlohmann::json::array()), "fleet-call", "verdict", "lost with instance fleet-a"));
  CHECK(b.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus: a call id this wallboard listed as ended and still live on another instance shows as lost with it",
          "[serve][bus][e2e]") {
  // One party of a split call (issue 25) ends here while the other goes on elsewhere, under
  // the same call id; then that instance dies. Its loss is news on this wallboard's live
  // feed, as a fresh wallboard shows it: the feed's memory of what it has listed keeps other
  // instances' entries apart from its own.
  const std::string dir = tw::test::fresh_dir("serve-bus-split-lost");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess a(dir + "/out-a", {"--bus", nats.url(), "--instance-id", "fleet-a", "--quiet"});
  tw::test::ServeProcess b(dir + "/out-b", {"--bus", nats.url(), "--instance-id", "fleet-b", "--quiet"});
  tw::test::WsClient feed(b.http_port(), "/dashboard/feed");
  REQUIRE(feed.connected());
  {
    // b's half: the example at 16x real time, about 5 s, to its end.
    tw::test::StreamPlayer here(b.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "split-call", {}, 16.0);
    REQUIRE(here.wait(60.0) == 0);
  }
  REQUIRE(tw::test::wait_for_calls_ended(b.http_port(), {"split-call"}, 20.0));
  bool ended_here = false;
  tw::test::read_json_until(feed, 5.0, [&](const nlohmann::json& m) {
    ended_here = ended_here || lists_call(m.value("recent", nlohmann::json::array()), "split-call", "instance", "fleet-b");
    return ended_here;
  });
  INFO(a.err() << b.err());
  REQUIRE(ended_here);
  // a's half goes on under the same id (4x real time, about 20 s) and shows on b's wallboard.
  tw::test::StreamPlayer there(a.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "split-call", {}, 4.0);
  REQUIRE(tw::test::read_json_until(feed, 8.0, [](const nlohmann::json& m) {
    return lists_call(m.value("calls", nlohmann::json::array()), "split-call", "instance", "fleet-a");
  }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto killed = std::chrono::steady_clock::now();
  a.stop(SIGKILL);
  bool lost = false;
  tw::test::read_json_until(feed, 14.0, [&](const nlohmann::json& m) {
    lost = lost || lists_call(m.value("recent", nlohmann::json::array()), "split-call", "verdict", "lost with instance fleet-a");
    return lost;
  });
  CHECK(lost);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count() <= 10.0);
  CHECK(b.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus: an alert raised on one instance shows on another and an acknowledgement made on a second shows on a third",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-acks");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess a(dir + "/out-a", {"--bus", nats.url(), "--instance-id", "ack-a", "--quiet"});
  tw::test::ServeProcess b(dir + "/out-b", {"--bus", nats.url(), "--instance-id", "ack-b", "--quiet"});
  tw::test::ServeProcess c(dir + "/out-c", {"--bus", nats.url(), "--instance-id", "ack-c", "--quiet"});
  tw::test::WsClient feed_b(b.http_port(), "/dashboard/feed");
  tw::test::WsClient feed_c(c.http_port(), "/dashboard/feed");
  REQUIRE(feed_b.connected());
  REQUIRE(feed_c.connected());
  // The example raises its supervisor alert 18 s in: 2.25 s at 8x real time.
  tw::test::StreamPlayer player(a.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "ack-call", {}, 8.0);
  std::uint64_t seq = 0;
  const bool alerted = tw::test::read_json_until(feed_b, 15.0, [&](const nlohmann::json& m) {
    if (m.value("type", "") != "alert" || !m.contains("alert")) return false;
    const auto& alert = m["alert"];
    if (alert.value("call", "") != "ack-call" || alert.value("instance", "") != "ack-a") return false;
    seq = alert.value("seq", std::uint64_t{0});
    return alert.contains("explanation");
  });
  INFO(a.err() << b.err() << c.err());
  REQUIRE(alerted);
  // Acknowledged on b, which does not hold the call: forwarded to a over the bus.
  const auto acked_at = std::chrono::steady_clock::now();
  const auto reply = tw::test::http_request(b.http_port(), "POST", "/api/alerts/ack-call/" + std::to_string(seq) + "/ack?user=sup1");
  CHECK(reply.status == 202);
  CHECK(nlohmann::json::parse(reply.body, nullptr, false).value("forwarded_to", "") == "ack-a");
  // c's wallboard hears of it within a second.
  const bool seen = tw::test::read_json_until(feed_c, 5.0, [&](const nlohmann::json& m) {
    return m.value("type", "") == "ack" && m.value("call", "") == "ack-call" && m.value("seq", std::uint64_t{0}) == seq &&
           m.value("acknowledged_by", "") == "sup1";
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - acked_at).count();
  CHECK(seen);
  CHECK(seconds <= 2.0);  // milliseconds when the machine is idle; slack for a loaded CI machine
  // a holds it acknowledged; a second acknowledgement anywhere is refused as a repeat.
  const auto alerts = nlohmann::json::parse(tw::test::http_request(a.http_port(), "GET", "/api/alerts").body);
  bool acknowledged = false;
  for (const auto& alert : alerts["alerts"])
    if (alert.value("call", "") == "ack-call" && alert.value("seq", std::uint64_t{0}) == seq)
      acknowledged = alert.value("acknowledged_by", nlohmann::json()) == "sup1";
  CHECK(acknowledged);
  CHECK(tw::test::http_request(c.http_port(), "POST", "/api/alerts/ack-call/" + std::to_string(seq) + "/ack?user=sup2").status == 409);
  CHECK(tw::test::http_request(c.http_port(), "POST", "/api/alerts/no-such-call/1/ack?user=sup2").status == 404);
  CHECK(player.wait(60.0) == 0);
}

namespace {

// Requests the receiver answered 2xx, by Idempotency-Key.
std::map<std::string, int> delivered_keys(const tw::test::HttpReceiver& receiver) {
  std::map<std::string, int> keys;
  for (const auto& request : receiver.requests())
    if (request.status >= 200 && request.status < 300) ++keys[request.header("idempotency-key")];
  return keys;
}

// Failed webhook attempts the instance counts for the receiver's URL.
double webhook_failures(const tw::test::ServeProcess& serve, const tw::test::HttpReceiver& receiver) {
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  return tw::test::metric_value(metrics, "tonewatch_webhook_failures_total{url=\"" + receiver.url() + "\"}");
}

}  // namespace

TEST_CASE("serve --bus --webhook: the fleet delivers each alert once and an instance killed mid-delivery leaves it to another",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-webhooks");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::HttpReceiver receiver;
  auto serve_args = [&](const std::string& id) {
    return std::vector<std::string>{"--bus", nats.url(), "--instance-id", id, "--quiet", "--webhook", receiver.url(),
                                    "--webhook-spool", dir + "/spool-" + id};
  };
  tw::test::ServeProcess a(dir + "/out-a", serve_args("hook-a"));
  tw::test::ServeProcess b(dir + "/out-b", serve_args("hook-b"));
  INFO(a.err() << b.err());

  // One call on a: its supervisor alert reaches the receiver once, though both instances
  // have the webhook.
  {
    tw::test::StreamPlayer player(a.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "hook-call-1", {}, 20.0);
    REQUIRE(player.wait(60.0) == 0);
  }
  REQUIRE(receiver.wait_for([](const auto& requests) { return !requests.empty(); }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a second delivery would come by now
  auto keys = delivered_keys(receiver);
  REQUIRE(keys.size() == 1);
  CHECK(keys.begin()->first == "hook-call-1:2");
  CHECK(keys.begin()->second == 1);

  // The receiver is down when the next alert comes: whichever instance took it retries; it
  // is killed mid-delivery, the receiver comes back, and the other delivers it, once.
  std::atomic<bool> refusing{true};
  receiver.set_handler([&refusing](const tw::test::HttpRequest&, std::size_t) {
    tw::test::HttpReply reply;
    reply.status = refusing ? 503 : 200;
    return reply;
  });
  tw::test::StreamPlayer player(b.http_port(), tw::build::source_dir() + "/examples/example_call.wav", "hook-call-2", {}, 20.0);
  REQUIRE(player.wait(60.0) == 0);
  REQUIRE(receiver.wait_for(
      [](const auto& requests) {
        for (const auto& r : requests)
          if (r.header("idempotency-key") == "hook-call-2:2") return true;
        return false;
      },
      std::chrono::seconds(20)));
  // The instance delivering it is the one whose attempts fail (its counter may lag the
  // receiver's log by a moment).
  bool a_has = false, b_has = false;
  for (int i = 0; i < 50 && !a_has && !b_has; ++i) {
    a_has = webhook_failures(a, receiver) > 0;
    b_has = webhook_failures(b, receiver) > 0;
    if (!a_has && !b_has) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(a_has != b_has);
  tw::test::ServeProcess& holder = a_has ? a : b;
  tw::test::ServeProcess& other = a_has ? b : a;
  holder.stop(SIGKILL);
  refusing = false;
  // JetStream gives it to the other instance once its 10 s acknowledgement wait has passed.
  const bool redelivered = receiver.wait_for(
      [](const auto& requests) {
        for (const auto& r : requests)
          if (r.header("idempotency-key") == "hook-call-2:2" && r.status == 200) return true;
        return false;
      },
      std::chrono::seconds(25));
  INFO(other.err());
  CHECK(redelivered);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  keys = delivered_keys(receiver);
  CHECK(keys["hook-call-1:2"] == 1);
  CHECK(keys["hook-call-2:2"] == 1);
  const auto metrics = tw::test::http_request(other.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_bus_webhook_redelivered_total") >= 1);
  CHECK(other.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus: a Twilio call whose two one-track streams reach two instances is reported split on both",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-split");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess a(dir + "/out-a", {"--bus", nats.url(), "--instance-id", "split-a", "--quiet"});
  tw::test::ServeProcess b(dir + "/out-b", {"--bus", nats.url(), "--instance-id", "split-b", "--quiet"});
  const std::string wav = tw::build::source_dir() + "/examples/example_call.wav";
  // The caller's track to a, the agent's to b: as a balancer does when it cannot see the
  // CallSid. Alongside, the same two one-track streams both to a, which it joins into a
  // whole call: no split.
  tw::test::ChildProcess split(tw::test::stream_player_binary(),
                               {"--protocol", "twilio-split", "--port", std::to_string(a.http_port()), "--agent-port",
                                std::to_string(b.http_port()), "--call-id", "CAsplit00000000000000000000000001", "--speed", "4", wav},
                               dir + "/player-split");
  tw::test::ChildProcess whole(tw::test::stream_player_binary(),
                               {"--protocol", "twilio-split", "--port", std::to_string(a.http_port()), "--call-id",
                                "CAwhole00000000000000000000000001", "--speed", "4", wav},
                               dir + "/player-whole");
  INFO(split.err() << whole.err());
  REQUIRE(split.wait(60.0) == 0);
  REQUIRE(whole.wait(60.0) == 0);
  INFO(a.err() << b.err());

  // Each instance's summary of its half says where the other half went.
  const std::pair<tw::test::ServeProcess*, std::pair<std::string, std::string>> halves[] = {
      {&a, {"agent", "split-b"}}, {&b, {"caller", "split-a"}}};
  const std::string outs[] = {dir + "/out-a", dir + "/out-b"};
  for (int i = 0; i < 2; ++i) {
    const auto& [serve, other] = halves[i];
    const std::string path = outs[i] + "/CAsplit00000000000000000000000001.summary.json";
    for (int wait = 0; wait < 100 && !std::filesystem::exists(path); ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto summary = nlohmann::json::parse(tw::test::read_text(path));
    INFO(summary.dump(1).substr(0, 3000));
    CHECK(summary["input"]["metadata"]["split_across_instances"] ==
          nlohmann::json{{"role", other.first}, {"instance", other.second}});
    bool warned = false;
    for (const auto& w : summary.value("warnings", nlohmann::json::array()))
      warned = warned || w.get<std::string>().find("only half the call was analysed here") != std::string::npos;
    CHECK(warned);
    const auto metrics = tw::test::http_request(serve->http_port(), "GET", "/metrics").body;
    CHECK(tw::test::metric_value(metrics, "tonewatch_fleet_split_calls_total") == 1);
    CHECK(serve->err().find("each instance analyses half the call") != std::string::npos);  // the log line
  }
  CHECK(a.err().find("both_tracks") != std::string::npos);
  // The call a joined whole is not split.
  const auto joined = nlohmann::json::parse(tw::test::read_text(dir + "/out-a/CAwhole00000000000000000000000001.summary.json"));
  CHECK_FALSE(joined["input"]["metadata"].contains("split_across_instances"));
  CHECK(a.stop(SIGTERM) == 0);
  CHECK(b.stop(SIGTERM) == 0);
}

TEST_CASE("serve --bus --no-fleet-view: the instance's calls reach the fleet's wallboards but its own shows only them",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-no-view");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess full(dir + "/out-full", {"--bus", nats.url(), "--instance-id", "view-full", "--quiet"});
  tw::test::ServeProcess lean(dir + "/out-lean", {"--bus", nats.url(), "--instance-id", "view-lean", "--quiet", "--no-fleet-view"});
  INFO(full.err() << lean.err());
  const std::string wav = tw::build::source_dir() + "/examples/example_call.wav";
  tw::test::StreamPlayer on_full(full.http_port(), wav, "call-on-full", {}, 4.0);
  tw::test::StreamPlayer on_lean(lean.http_port(), wav, "call-on-lean", {}, 4.0);
  tw::test::WsClient full_feed(full.http_port(), "/dashboard/feed");
  tw::test::WsClient lean_feed(lean.http_port(), "/dashboard/feed");
  REQUIRE(full_feed.connected());
  REQUIRE(lean_feed.connected());
  // The full instance shows the lean one's call (the lean one still publishes).
  CHECK(tw::test::read_json_until(full_feed, 8.0, [](const nlohmann::json& m) {
    return lists_call(m.value("calls", nlohmann::json::array()), "call-on-lean", "instance", "view-lean");
  }));
  // The lean one shows its own call, and never the other's, for 4 s of ticks.
  bool own = false, other = false;
  tw::test::read_json_until(lean_feed, 4.0, [&](const nlohmann::json& m) {
    for (const auto& row : m.value("calls", nlohmann::json::array())) {
      own = own || row.value("call", "") == "call-on-lean";
      other = other || row.value("call", "") == "call-on-full";
    }
    return false;
  });
  CHECK(own);
  CHECK_FALSE(other);
  const auto lean_metrics = tw::test::http_request(lean.http_port(), "GET", "/metrics").body;
  const auto full_metrics = tw::test::http_request(full.http_port(), "GET", "/metrics").body;
  CHECK(lean_metrics.find("tonewatch_fleet_instances") == std::string::npos);
  CHECK(tw::test::metric_value(lean_metrics, "tonewatch_bus_connected") == 1);
  CHECK(tw::test::metric_value(full_metrics, "tonewatch_fleet_instances") == 1);
  CHECK(on_full.wait(60.0) == 0);
  CHECK(on_lean.wait(60.0) == 0);

}

TEST_CASE("serve --bus: the call view and report of a call another instance holds are served by any instance and a hung holder is a 504 that blocks nothing and a dead one a 503",
          "[serve][bus][e2e]") {
  const std::string dir = tw::test::fresh_dir("serve-bus-view");
  tw::test::NatsServer nats(dir + "/nats");
  tw::test::ServeProcess holder(dir + "/out-holder", {"--bus", nats.url(), "--instance-id", "view-holder", "--quiet"});
  tw::test::ServeProcess viewer(dir + "/out-viewer", {"--bus", nats.url(), "--instance-id", "view-viewer", "--quiet"});
  INFO(holder.err() << viewer.err());
  const std::string wav = tw::build::source_dir() + "/examples/example_call.wav";
  auto get = [](std::uint16_t port, const std::string& target) { return tw::test::http_request("127.0.0.1", port, "GET", target); };
  const std::string timeline = "/api/calls/view-call/timeline";
  {
    tw::test::StreamPlayer player(holder.http_port(), wav, "view-call", {}, 4.0);
    tw::test::WsClient feed(viewer.http_port(), "/dashboard/feed");
    REQUIRE(feed.connected());
    REQUIRE(tw::test::read_json_until(feed, 8.0, [](const nlohmann::json& m) {
      return lists_call(m.value("calls", nlohmann::json::array()), "view-call", "instance", "view-holder");
    }));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // some seconds of timeline
    // The viewer answers with the holder's timeline so far: the same call, its seconds.
    const auto remote = get(viewer.http_port(), timeline);
    REQUIRE(remote.status == 200);
    CHECK(remote.header("x-tonewatch-instance") == "view-holder");
    CHECK(remote.header("cache-control") == "no-store");
    const auto live = nlohmann::json::parse(remote.body);
    CHECK(live["live"] == true);
    const auto seconds = live["series"]["caller"]["time_s"];
    REQUIRE(seconds.size() >= 3);
    // Only the seconds after one, as the page asks once it has the start.
    const double after = seconds[1].get<double>();
    const auto tail = nlohmann::json::parse(get(viewer.http_port(), timeline + "?after_s=" + std::to_string(after)).body);
    CHECK(tail["after_s"].get<double>() == Approx(after));
    REQUIRE(!tail["series"]["caller"]["time_s"].empty());
    CHECK(tail["series"]["caller"]["time_s"][0].get<double>() > after);
    CHECK(get(viewer.http_port(), timeline + "?after_s=soon").status == 400);  // checked here, not asked of the holder
    CHECK(get(viewer.http_port(), "/api/calls/no-such-call/timeline").status == 404);
    REQUIRE(player.wait(60.0) == 0);
  }
  // Ended: the finished report's data, and the report page, byte for byte the holder's.
  REQUIRE(tw::test::wait_for_calls_ended(holder.http_port(), {"view-call"}, 10.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the holder's next calls message lists it as ended
  const auto ended = nlohmann::json::parse(get(viewer.http_port(), timeline).body);
  CHECK(ended["live"] == false);
  CHECK(ended["report"] == "/calls/view-call/report");
  const auto report_here = get(viewer.http_port(), "/calls/view-call/report");
  const auto report_there = get(holder.http_port(), "/calls/view-call/report");
  REQUIRE(report_here.status == 200);
  CHECK(report_here.header("content-type").rfind("text/html", 0) == 0);
  CHECK(!report_here.header("content-security-policy").empty());
  CHECK(report_here.body == report_there.body);

  // The holder hangs (SIGSTOP: still on the bus, answering nothing): a view of its call
  // waits 3 s for the answer and is a 504; meanwhile the viewer's network thread serves
  // other requests at once.
  REQUIRE(::kill(holder.pid(), SIGSTOP) == 0);
  const auto asked = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] { return get(viewer.http_port(), timeline); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto health_at = std::chrono::steady_clock::now();
  CHECK(get(viewer.http_port(), "/healthz").status == 200);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - health_at).count() < 1.0);
  const auto late = waiting.get();
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  CHECK(late.status == 504);
  CHECK(waited >= 2.5);
  CHECK(waited < 6.0);
  // The holder dies: the bus says at once that nobody answers for it (503), until the
  // viewer declares it lost.
  REQUIRE(::kill(holder.pid(), SIGCONT) == 0);
  holder.stop(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the bus notices the closed connection
  const auto dead_at = std::chrono::steady_clock::now();
  const auto dead = get(viewer.http_port(), timeline);
  CHECK(dead.status == 503);
  CHECK(dead.body.find("view-holder") != std::string::npos);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - dead_at).count() < 1.0);
  CHECK(viewer.stop(SIGTERM) == 0);
}
