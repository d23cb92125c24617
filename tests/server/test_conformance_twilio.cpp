// Twilio Media Streams (twilio.com/docs/voice/media-streams/websocket-messages):
// connected, start, media, mark, dtmf and stop; both tracks, one, callerTrack; lost packets.
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

TEST_CASE("twilio conformance: connected start media mark dtmf stop with a lost packet / a clean close and counters that agree",
          "[server][twilio][conformance]") {
  namespace twilio = tw::test::twilio;
  const std::string out = fresh_dir("twilio");
  ServeProcess server(out, {"--quiet"});
  tw::test::WsClient ws(server.http_port(), "/twilio");
  REQUIRE(ws.connected());
  REQUIRE(ws.send_text(twilio::connected()));
  REQUIRE(ws.send_text(twilio::start()));
  // 2 s of both tracks in 20 ms chunks (the spec's shape); the inbound chunk at 1.00 s
  // never comes: 160 frames of lost audio, filled by stream time, not by samples.
  const std::string payload = tw::test::base64_encode(twilio::mulaw_tone(160, 220.0, 0.2));
  int sent = 2, chunks = 0;
  for (int i = 0; i < 100; ++i) {
    if (i != 50) {
      REQUIRE(ws.send_text(twilio::media("inbound", ++chunks, 20L * i, payload)));
      ++sent;
    }
    REQUIRE(ws.send_text(twilio::media("outbound", ++chunks, 20L * i, payload)));
    ++sent;
    if (i == 60) {
      REQUIRE(ws.send_text(twilio::mark("greeting-done")));
      REQUIRE(ws.send_text(twilio::dtmf("inbound_track", "5")));
      sent += 2;
    }
    std::this_thread::sleep_for(2ms);
  }
  REQUIRE(ws.send_text(twilio::stop()));
  ++sent;
  REQUIRE(ws.wait_closed(10.0));
  CHECK(ws.close_code() == 1000);
  const json summary = wait_for_summary(out + "/" + twilio::kCallSid + ".summary.json", 30.0);
  CHECK(summary["duration_s"].get<double>() == Approx(2.0).margin(0.01));
  CHECK(summary["input"]["overflowed_frames"] == 0);
  CHECK(summary["input"]["lost_frames"] == 160);
  std::this_thread::sleep_for(200ms);
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_messages_total{protocol=\"twilio\"}") == sent);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_audio_frames_total{protocol=\"twilio\"}") == 199 * 160);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_missing_frames_total{protocol=\"twilio\"}") == 160);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_gaps_total{protocol=\"twilio\"}") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_dtmf_total") == 1);
  CHECK(metrics.find("tonewatch_ingest_malformed_total{protocol=\"twilio\"") == std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("twilio conformance: both tracks / callerTrack swapping them / one track / a socket lost before stop / each heard as the same voices",
          "[server][twilio][conformance]") {
  namespace twilio = tw::test::twilio;
  const std::string out = fresh_dir("twilio-tracks");
  ServeProcess server(out, {"--quiet"});
  struct Case {
    std::string tracks, custom;
    int inbound_channel;     // which voice of the example the inbound track carries
    bool stop;               // false: the socket closes after 3 s with no stop
  };
  const std::vector<Case> cases = {{R"(["inbound", "outbound"])", R"({})", 0, true},
                                   {R"(["inbound", "outbound"])", R"({"callerTrack": "outbound"})", 1, true},
                                   {R"(["inbound"])", R"({})", 0, true},
                                   {R"(["inbound", "outbound"])", R"({})", 0, false}};
  json reference;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    INFO("case " << k << ": tracks " << c.tracks << " custom " << c.custom);
    const std::string sid = "CA00000000000000000000000000000" + std::to_string(k) + "0";
    tw::test::WsClient ws(server.http_port(), "/twilio");
    REQUIRE(ws.connected());
    REQUIRE(ws.send_text(twilio::connected()));
    REQUIRE(ws.send_text(for_call(twilio::start(c.tracks, c.custom), sid)));
    const bool both = c.tracks.find("outbound") != std::string::npos;
    const std::int64_t frames = (c.stop ? 10 : 3) * kRate;
    int chunk = 0;
    // The first second in real time, as a platform sends it: a one-track stream may be
    // half of a call whose other track comes on its own socket, so the call waits for
    // it (second_leg_wait_s, 0.75 s) with the audio in the 1 s leg buffer. Then 8x.
    for (std::int64_t at = 0; at < frames; at += 160) {
      const long ms = static_cast<long>(at / 8);
      REQUIRE(ws.send_text(twilio::media("inbound", ++chunk, ms, twilio_payload(c.inbound_channel, at))));
      if (both) REQUIRE(ws.send_text(twilio::media("outbound", ++chunk, ms, twilio_payload(1 - c.inbound_channel, at))));
      std::this_thread::sleep_for(at < kRate ? 20ms : 2500us);
    }
    if (!c.stop) {
      ws.close();  // the platform's connection drops: the stream ends where its audio did
      const json summary = wait_for_summary(out + "/" + sid + ".summary.json", 30.0);
      CHECK(summary["duration_s"].get<double>() == Approx(3.0).margin(0.01));
      std::this_thread::sleep_for(200ms);
      CHECK(server.err().find("connection_lost") != std::string::npos);
      continue;
    }
    REQUIRE(ws.send_text(for_call(twilio::stop(), sid)));
    REQUIRE(ws.wait_closed(10.0));
    CHECK(ws.close_code() == 1000);
    const json summary = wait_for_summary(out + "/" + sid + ".summary.json", 30.0);
    CHECK(summary["duration_s"].get<double>() == Approx(10.0).margin(0.01));
    CHECK(summary["input"]["lost_frames"] == 0);
    REQUIRE(summary["speakers"].size() == (both ? 2u : 1u));
    if (k == 0) {
      reference = summary;
      continue;
    }
    for (const std::string role : {"caller", "agent"}) {
      if (!both && role == "agent") continue;
      INFO(role);
      const json* heard = speaker_of(summary, role);
      REQUIRE(heard != nullptr);
      const json& expected = *speaker_of(reference, role);
      const double tolerance = both ? 0.0 : 0.5;  // alone, crosstalk handling may move it a little
      CHECK((*heard)["speech_time_s"].get<double>() == Approx(expected["speech_time_s"].get<double>()).margin(tolerance + 1e-9));
      CHECK((*heard)["f0_median_hz"].get<double>() == Approx(expected["f0_median_hz"].get<double>()).margin(2.0 * tolerance + 1e-9));
    }
  }
  CHECK(server.stop(SIGTERM) == 0);
}
