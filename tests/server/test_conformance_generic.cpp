// The generic stream (docs/live-ingest.md): JSON metadata, then raw audio frames.
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

TEST_CASE("generic stream conformance: metadata then L16 stereo at 16 kHz split at odd bytes / a clean close and counters that agree",
          "[server][generic][conformance]") {
  const std::string out = fresh_dir("generic");
  ServeProcess server(out, {"--quiet"});
  tw::test::WsClient ws(server.http_port(), "/stream");
  REQUIRE(ws.connected());
  REQUIRE(ws.send_text(R"({"call_id":"gen-1","sample_rate":16000,"channels":2,"encoding":"L16","roles":["agent","caller"],"agent_id":"A17"})"));
  // 2 s of two tones (agent left at 300 Hz, caller right at 500 Hz), sent in messages
  // of 1283 bytes: every boundary cuts a sample or a frame, which the next completes.
  std::string bytes;
  for (int i = 0; i < 32000; ++i) {
    for (const double hz : {300.0, 500.0}) {
      const auto v = static_cast<std::uint16_t>(static_cast<std::int16_t>(5000.0 * std::sin(2.0 * M_PI * hz * i / 16000.0)));
      bytes += static_cast<char>(v & 0xff);
      bytes += static_cast<char>(v >> 8);
    }
  }
  int messages = 1;
  for (std::size_t at = 0; at < bytes.size(); at += 1283) {
    REQUIRE(ws.send_binary(bytes.substr(at, 1283)));
    ++messages;
    std::this_thread::sleep_for(1ms);
  }
  ws.close();
  const json summary = wait_for_summary(out + "/gen-1.summary.json", 30.0);
  CHECK(summary["duration_s"].get<double>() == Approx(2.0).margin(0.01));
  CHECK(summary["input"]["sample_rate_hz"] == 16000);
  CHECK(summary["input"]["metadata"]["agent_id"] == "A17");
  CHECK(summary["input"]["overflowed_frames"] == 0);
  REQUIRE(summary["speakers"].size() == 2);
  std::this_thread::sleep_for(200ms);
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_messages_total{protocol=\"generic_ws\"}") == messages);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_audio_frames_total{protocol=\"generic_ws\"}") == 32000);
  CHECK(metrics.find("tonewatch_ingest_malformed_total{protocol=\"generic_ws\"") == std::string::npos);
  CHECK(server.err().find("generic_ws stream for call gen-1") != std::string::npos);
  CHECK(server.err().find("ended (stop") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}
