// Asterisk AudioSocket (res_audiosocket, chan_audiosocket): every type byte, each slin
// rate, DTMF, hangup by 0x00 and by closing the socket, an error by 0xff, a cut message.
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

TEST_CASE("audiosocket hangup: Asterisk closing its socket at a message boundary is a hangup / the caller leaving is an event",
          "[server][audiosocket][conformance]") {
  const std::string out = fresh_dir("as-hangup");
  ServeProcess server(out, {"--quiet"}, true);
  const std::string call = "3e1b2d4f-5a6c-4d7e-8f90-a1b2c3d4e5f6";
  const int caller = tw::test::raw_connect(server.caller_port());
  const int agent = tw::test::raw_connect(server.agent_port());
  REQUIRE(caller >= 0);
  REQUIRE(agent >= 0);
  REQUIRE(send_all(caller, as_message(0x01, uuid_bytes(call))));
  REQUIRE(send_all(agent, as_message(0x01, uuid_bytes(call))));
  // 4x real time; the caller's socket closes after 10 s, the agent's after 20 s.
  auto next = std::chrono::steady_clock::now();
  for (std::int64_t at = 0; at < 20 * kRate; at += 160) {
    if (at < 10 * kRate) REQUIRE(send_all(caller, as_message(0x10, example_bytes({0}, true, at, 160))));
    if (at == 10 * kRate) ::close(caller);  // how Asterisk hangs up: no 0x00, the socket closes
    REQUIRE(send_all(agent, as_message(0x10, example_bytes({1}, true, at, 160))));
    next += std::chrono::microseconds(5000);
    std::this_thread::sleep_until(next);
  }
  ::close(agent);
  const json summary = wait_for_summary(out + "/" + call + ".summary.json", 30.0);
  CHECK(summary["duration_s"].get<double>() == Approx(20.0).margin(0.01));
  REQUIRE(summary.contains("parties"));
  CHECK(summary["parties"][0]["left_s"].get<double>() == Approx(10.0).margin(0.05));
  bool left = false;
  for (const json& e : read_events(out + "/" + call + ".events.jsonl")) {
    left |= e["type"] == "party_left" && e["speaker"] == "caller";
    if (e["time_s"].get<double>() > 10.05) CHECK(e["type"] != "dead_air");
  }
  CHECK(left);
  // A hangup is logged as one, never as a lost connection.
  CHECK(server.err().find("connection_lost") == std::string::npos);
  CHECK(server.err().find("hangup") != std::string::npos);

  // A close in the middle of a message is a lost connection.
  const std::string cut = "4f2c3e5a-6b7d-4e8f-9a01-b2c3d4e5f607";
  const int fd = tw::test::raw_connect(server.caller_port());
  REQUIRE(send_all(fd, as_message(0x01, uuid_bytes(cut))));
  REQUIRE(send_all(fd, as_message(0x10, example_bytes({0}, true, 0, 160))));
  REQUIRE(send_all(fd, as_message(0x10, example_bytes({0}, true, 160, 160)).substr(0, 100)));
  ::close(fd);
  wait_for_summary(out + "/" + cut + ".summary.json", 30.0);
  std::this_thread::sleep_for(200ms);
  CHECK(server.err().find("connection_lost") != std::string::npos);

  // A connection that ends before any audio (so no leg and no call) still leaves a line.
  const std::string mute = "5a3d4f6b-7c8e-4f90-ab12-c3d4e5f60718";
  const int quiet = tw::test::raw_connect(server.agent_port());
  REQUIRE(send_all(quiet, as_message(0x01, uuid_bytes(mute))));
  std::this_thread::sleep_for(100ms);
  ::close(quiet);
  std::this_thread::sleep_for(300ms);
  CHECK(server.err().find("(uuid " + mute + ") ended before any audio came") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("audiosocket conformance: every type byte / each slin rate / a DTMF digit / hangup by 0x00 / an error by 0xff",
          "[server][audiosocket][conformance]") {
  const std::string out = fresh_dir("as-types");
  ServeProcess server(out, {"--quiet"}, true);
  // One caller leg per rate (res_audiosocket.h: 0x10 slin 8 kHz, 0x11 12 kHz ... 0x18 192 kHz),
  // each 1 s of a 440 Hz tone in 20 ms messages, a DTMF digit, then the 0x00 hangup.
  const std::pair<std::uint8_t, int> kinds[] = {{0x10, 8000},  {0x11, 12000}, {0x12, 16000}, {0x13, 24000}, {0x14, 32000},
                                                {0x15, 44100}, {0x16, 48000}, {0x17, 96000}, {0x18, 192000}};
  std::uint64_t frames_sent = 0;
  int messages_sent = 0;
  for (const auto& [type, rate] : kinds) {
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d%02x", type);
    const int fd = tw::test::raw_connect(server.caller_port());
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, as_message(0x01, uuid_bytes(uuid))));
    ++messages_sent;
    const int chunk = rate / 50;  // 20 ms (44.1 kHz: 882 frames)
    for (int c = 0; c < 50; ++c) {
      std::string slin;
      for (int i = 0; i < chunk; ++i) {
        const auto v = static_cast<std::int16_t>(6000.0 * std::sin(2.0 * M_PI * 440.0 * (c * chunk + i) / rate));
        slin += static_cast<char>(static_cast<std::uint16_t>(v) & 0xff);
        slin += static_cast<char>(static_cast<std::uint16_t>(v) >> 8);
      }
      REQUIRE(send_all(fd, as_message(type, slin)));
      ++messages_sent;
      frames_sent += static_cast<std::uint64_t>(chunk);
      if (c == 25) {
        REQUIRE(send_all(fd, as_message(0x03, "7")));
        ++messages_sent;
      }
    }
    REQUIRE(send_all(fd, as_message(0x00, "")));
    ++messages_sent;
    char byte;
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK(::recv(fd, &byte, 1, 0) == 0);  // the server closes after the hangup
    ::close(fd);
    const json summary = wait_for_summary(out + "/" + uuid + ".summary.json", 30.0);
    INFO("type 0x" << std::hex << int(type));
    CHECK(summary["duration_s"].get<double>() == Approx(1.0).margin(0.01));
    CHECK(summary["input"]["sample_rate_hz"] == rate);
  }
  // 0xff: Asterisk reports an error; the leg ends as the peer's error.
  const std::string failed = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9eff";
  const int fd = tw::test::raw_connect(server.caller_port());
  REQUIRE(send_all(fd, as_message(0x01, uuid_bytes(failed))));
  REQUIRE(send_all(fd, as_message(0x10, std::string(320, '\0'))));
  REQUIRE(send_all(fd, as_message(0xff, std::string(1, '\x02'))));
  messages_sent += 3;
  frames_sent += 160;
  wait_for_summary(out + "/" + failed + ".summary.json", 30.0);
  ::close(fd);
  std::this_thread::sleep_for(300ms);
  CHECK(server.err().find("peer_error: asterisk reported error 0x02") != std::string::npos);
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_messages_total{protocol=\"audiosocket\"}") == messages_sent);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_audio_frames_total{protocol=\"audiosocket\"}") ==
        static_cast<double>(frames_sent));
  CHECK(tw::test::metric_value(metrics, "tonewatch_dtmf_total") == 9);
  CHECK(metrics.find("tonewatch_ingest_malformed_total{protocol=\"audiosocket\"") == std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}
