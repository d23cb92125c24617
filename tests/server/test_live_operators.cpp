// What operators see while a call runs: /metrics mid-call, process and build metrics,
// one log line per call start and end.
// A real `tonewatch serve` on loopback sockets, driven by a client written from the
// specification (issue 21).

#include <signal.h>

#include <cmath>

#include "conformance_support.h"
#include "support/run_command.h"
#include "build_paths.h"

using namespace tw::test::conformance;
using tw::test::AudioHookClient;
using tw::test::ServeProcess;

TEST_CASE("serve while a call runs: /metrics has its frames and pauses / process and build_info metrics / a JSON log line per call start and end",
          "[server][audiohook][operators]") {
  const std::string out = fresh_dir("operators");
  ServeProcess server(out, audiohook_args({"--quiet", "--log-format", "json"}));
  const std::uint16_t port = server.http_port();
  const std::string conversation = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d";
  AudioHookClient client(port, kKey, kSecret);
  open_stereo(client, conversation);
  stream_example(client, 0, 3 * kRate);
  hold(client, 2 * kRate);  // paused at 3 s for 2 s
  stream_example(client, 3 * kRate, 1 * kRate);

  // Mid-call: the connection is open and the call in progress.
  CHECK(wait_for_metric(port, "tonewatch_ingest_audio_frames_total{protocol=\"audiohook\"}", 4 * kRate, 5.0) == 4 * kRate);
  const std::string metrics = tw::test::http_request(port, "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_paused_frames_total{protocol=\"audiohook\"}") == 2 * kRate);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_gaps_total{protocol=\"audiohook\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_missing_frames_total{protocol=\"audiohook\"}") == 0);
  CHECK(tw::test::metric_value(metrics, "tonewatch_dropped_frames_total{cause=\"ring_overflow\"}") == 0);
  CHECK(tw::test::metric_value(metrics, "tonewatch_active_calls") == 1);
  CHECK(tw::test::metric_value(metrics, "process_cpu_seconds_total") > 0.0);
  CHECK(tw::test::metric_value(metrics, "process_resident_memory_bytes") > 1e6);
  CHECK(tw::test::metric_value(metrics, "process_open_fds") >= 4);
  CHECK(tw::test::metric_value(metrics, "process_max_fds") > 0);
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(tw::test::metric_value(metrics, "process_start_time_seconds") == Approx(now_s).margin(120.0));
  CHECK(metrics.find("tonewatch_build_info{version=\"") != std::string::npos);
  CHECK(metrics.find(",model=\"built-in models/agitation-v1.json\"} 1\n") != std::string::npos);
  // A call in progress is described in the present.
  const json calls = json::parse(tw::test::http_request(port, "GET", "/api/calls").body);
  REQUIRE(calls["calls"].size() == 1);
  INFO(calls["calls"][0].dump());
  CHECK(calls["calls"][0]["verdict"].get<std::string>().find("at the end") == std::string::npos);

  REQUIRE(client.send("close", {{"reason", "end"}}));
  CHECK(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
  std::this_thread::sleep_for(300ms);
  CHECK(server.stop(SIGTERM) == 0);

  // One JSON line when the call started and one when it ended.
  json started, ended;
  std::istringstream err(server.err());
  for (std::string line; std::getline(err, line);) {
    INFO(line);
    const json j = json::parse(line, nullptr, false);
    REQUIRE(j.is_object());  // every stderr line is JSON with --log-format json
    CHECK(j["ts"].is_string());
    if (j.value("event", "") == "call_started") started = j;
    if (j.value("event", "") == "call_ended") ended = j;
  }
  REQUIRE(started.is_object());
  CHECK(started["call"] == conversation);
  CHECK(started["protocol"] == "audiohook");
  CHECK(started["roles"] == json::array({"caller", "agent"}));
  CHECK(started["format"] == "PCMU");
  CHECK(started["remote"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
  REQUIRE(ended.is_object());
  CHECK(ended["call"] == conversation);
  CHECK(ended["duration_s"].get<double>() == Approx(summary["duration_s"].get<double>()).margin(0.01));
  CHECK(ended["dropped_frames"] == 0);
  CHECK(ended["paused_frames"] == 2 * kRate);
  CHECK(ended["outcome"] == "analysed");
  CHECK(ended["report"].get<std::string>().find(conversation + ".report.html") != std::string::npos);
  CHECK(ended["alerts"].is_number_integer());
}
