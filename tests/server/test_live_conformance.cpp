// Live ingest as the platforms speak it (issue 21): a real `tonewatch serve` on
// loopback sockets, driven by protocol clients written from each platform's
// specification (tests/support), checking what reaches the wire and what the
// server makes of it.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "stream_player/wire_format.h"
#include "support/audiohook_client.h"
#include "support/generic_stream.h"
#include "support/recording_sink.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/ws_client.h"
#include "build_paths.h"
#include "telephony/twilio_messages.h"

using nlohmann::json;
using namespace std::chrono_literals;
using tw::test::AudioHookClient;
using tw::test::ServeProcess;

namespace {

constexpr const char* kKey = "key-1";
constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";  // base64 of "secret-secret-secret"
constexpr const char* kNilConversation = "00000000-0000-0000-0000-000000000000";

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/conformance-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> audiohook_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--audiohook-key", std::string(kKey) + ":" + kSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// Every server message as the specification shapes it: version "2", the session's
// id, seq counting 1, 2, ... and clientseq the last client seq the server had read.
void check_server_messages(const AudioHookClient& client) {
  std::int64_t seq = 0;
  for (const json& m : client.received()) {
    INFO(m.dump());
    CHECK(m["version"] == "2");
    CHECK(m["id"] == client.session_id());
    CHECK(m["seq"] == ++seq);
    CHECK(m["clientseq"].is_number_integer());
    CHECK(m["parameters"].is_object());
    CHECK(m["type"].is_string());
  }
}

// PCMU silence (0xFF is µ-law zero), `frames` stereo frames.
std::string pcmu_silence(std::int64_t frames, int channels = 2) {
  return std::string(static_cast<std::size_t>(frames * channels), '\xff');
}

}  // namespace

TEST_CASE("audiohook close: the closed reply reaches the client before the close frame", "[server][audiohook][conformance]") {
  ServeProcess server(fresh_dir("close"), audiohook_args({"--quiet"}));
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open("6f3c1a9e-5b2d-4e8f-9a0c-1d2e3f4a5b6c", json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  for (int i = 0; i < 50; ++i) client.send_audio(pcmu_silence(160), 160);  // 1 s
  REQUIRE(client.send("close", {{"reason", "end"}}));
  const auto closed = client.read_until("closed", 5.0);
  REQUIRE(closed);
  CHECK((*closed)["clientseq"] == 2);  // the close was the client's second message
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  check_server_messages(client);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("audiohook error close: the disconnect with its reason reaches the client before the close frame",
          "[server][audiohook][conformance]") {
  ServeProcess server(fresh_dir("disconnect"), audiohook_args({"--quiet"}));
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open("7a3c1a9e-5b2d-4e8f-9a0c-1d2e3f4a5b6c", json::array({tw::test::audiohook_media("PCMU", {"external"})})));
  REQUIRE(client.read_until("opened", 5.0));
  // A message whose seq skips one: a protocol error the server ends the session on.
  REQUIRE(client.ws().send_text(json{{"version", "2"}, {"id", client.session_id()}, {"type", "ping"}, {"seq", 5},
                                     {"serverseq", 1}, {"position", "PT0S"}, {"parameters", json::object()}}
                                    .dump()));
  const auto disconnect = client.read_until("disconnect", 5.0);
  REQUIRE(disconnect);
  CHECK((*disconnect)["parameters"]["reason"] == "error");
  CHECK_FALSE((*disconnect)["parameters"]["info"].get<std::string>().empty());
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1002);
  check_server_messages(client);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("audiohook probe: opened / an empty audio frame is ignored / close gets closed and a clean close",
          "[server][audiohook][conformance]") {
  const std::string out = fresh_dir("probe");
  ServeProcess server(out, audiohook_args({"--quiet"}));
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open(kNilConversation, json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  REQUIRE(client.send_audio("", 0));  // the Genesys client's probe checks the binary path with an empty frame
  REQUIRE(client.send("ping", json::object()));
  REQUIRE(client.read_until("pong", 5.0));
  REQUIRE(client.send("close", {{"reason", "end"}}));
  REQUIRE(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  check_server_messages(client);
  // A probe is never a call.
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_calls_total{protocol=\"audiohook\"}") <= 0);
  CHECK(server.stop(SIGTERM) == 0);
  CHECK(std::filesystem::is_empty(out));
}

namespace {

// The example call as PCMU frames for an AudioHook stream (external = caller left).
std::string pcmu_of(const std::vector<std::int16_t>& stereo, std::int64_t first_frame, std::int64_t frames) {
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(frames * 2));
  for (std::int64_t i = first_frame; i < first_frame + frames; ++i) {
    bytes += static_cast<char>(tw::player::mulaw_encode(stereo[static_cast<std::size_t>(2 * i)]));
    bytes += static_cast<char>(tw::player::mulaw_encode(stereo[static_cast<std::size_t>(2 * i + 1)]));
  }
  return bytes;
}

// Streams frames [first, first + frames) of the example call in 20 ms messages at
// `speed` x real time (the leg's 1 s ring is never the limit at 4x).
void stream_example(AudioHookClient& client, std::int64_t first, std::int64_t frames, double speed = 4.0) {
  const auto audio_ptr = tw::test::example_call_audio();
  const auto& audio = *audio_ptr;
  const auto pace = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(0.02 / speed));
  auto next = std::chrono::steady_clock::now();
  for (std::int64_t at = first; at < first + frames; at += 160) {
    const std::int64_t n = std::min<std::int64_t>(160, first + frames - at);
    REQUIRE(client.send_audio(pcmu_of(audio, at, n), n));
    next += pace;
    std::this_thread::sleep_until(next);
  }
}

// Waits for a call's summary file (the call has ended and its outputs are written).
json wait_for_summary(const std::string& path, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) return read_json(path);
    std::this_thread::sleep_for(50ms);
  }
  FAIL("no summary at " << path);
  return {};
}

std::vector<json> read_events(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// No dead air opens inside a declared stretch [from_s, to_s].
void check_no_dead_air_in(const std::vector<json>& events, double from_s, double to_s) {
  for (const json& e : events) {
    if (e["type"] != "dead_air" || e["state"] != "opened") continue;
    INFO(e.dump());
    CHECK_FALSE((e["time_s"].get<double>() > from_s && e["time_s"].get<double>() <= to_s + 0.01));
  }
}

constexpr std::int64_t kRate = 8000;

}  // namespace

TEST_CASE("audiohook pause of 10 s and a discarded stretch: stream time exact / no frame dropped / no dead air in them",
          "[server][audiohook][conformance][gaps]") {
  const std::string out = fresh_dir("pause10");
  ServeProcess server(out, audiohook_args({"--quiet"}));  // the default 1 s leg buffer
  const std::string conversation = "1c9f0b2e-3d4a-4b5c-8d6e-7f8091a2b3c4";
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open(conversation, json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  stream_example(client, 0, 12 * kRate);
  // A hold: paused at 12 s, resumed 10 s later.
  REQUIRE(client.send("paused"));
  client.advance(10 * kRate);
  REQUIRE(client.send("resumed", {{"start", "PT22S"}, {"discarded", "PT10S"}}));
  stream_example(client, 12 * kRate, 8 * kRate);
  // 6.3 s the client did not send (a secure pause, say), declared afterwards.
  client.advance(6 * kRate + 2400);
  REQUIRE(client.send("discarded", {{"start", "PT30S"}, {"discarded", "PT6.3S"}}));
  stream_example(client, 20 * kRate, 4 * kRate);
  REQUIRE(client.send("close", {{"reason", "end"}}));
  CHECK(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);

  const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
  // Stream time: 12 + 10 + 8 + 6.3 + 4 s, within one 10 ms hop.
  CHECK(summary["duration_s"].get<double>() == Approx(40.3).margin(0.01));
  CHECK(summary["input"]["overflowed_frames"] == 0);
  CHECK(summary["input"]["stall_fill_frames"] == 0);
  CHECK(summary["input"]["paused_frames"] == (10 * kRate + 6 * kRate + 2400));
  REQUIRE(summary.contains("gaps"));
  CHECK(summary["gaps"]["paused_s"].get<double>() == Approx(16.3).margin(0.01));
  CHECK(summary["gaps"]["lost_s"].get<double>() == Approx(0.0).margin(0.01));
  REQUIRE(summary["gaps"]["intervals"].size() == 2);
  CHECK(summary["gaps"]["intervals"][0]["kind"] == "paused");
  CHECK(summary["gaps"]["intervals"][0]["start_s"].get<double>() == Approx(12.0).margin(0.01));
  CHECK(summary["gaps"]["intervals"][1]["kind"] == "discarded");
  const std::vector<json> events = read_events(out + "/" + conversation + ".events.jsonl");
  check_no_dead_air_in(events, 12.0, 22.0);
  check_no_dead_air_in(events, 30.0, 36.3);
  const json report = read_json(out + "/" + conversation + ".report.json");
  CHECK(report["paused_s"].get<double>() == Approx(16.3).margin(0.01));
  // The summary says what made it, as a recording's does: the same version and model.
  const std::string batch_out = fresh_dir("pause10-batch");
  const auto analyzed = tw::test::run_command(tw::test::tonewatch_binary(),
                                              {"analyze", tw::build::source_dir() + "/examples/example_call.wav", "--out", batch_out});
  REQUIRE(analyzed.exit_code == 0);
  const json batch = read_json(batch_out + "/example_call.summary.json");
  REQUIRE(summary.contains("analysis"));
  for (const char* key : {"tonewatch_version", "model", "model_fnv1a64"}) CHECK(summary["analysis"][key] == batch["analysis"][key]);
  CHECK(summary["analysis"]["settings_fnv1a64"].is_string());
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_dropped_frames_total{cause=\"ring_overflow\"}") <= 0);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("audiohook pause of 10 minutes: taken in constant time / stream time exact / no dead air",
          "[server][audiohook][conformance][gaps]") {
  const std::string out = fresh_dir("pause600");
  ServeProcess server(out, audiohook_args({"--quiet"}));
  const std::string conversation = "2d0a1c3f-4e5b-4c6d-9e7f-8091a2b3c4d5";
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open(conversation, json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  stream_example(client, 0, 10 * kRate);
  const auto paused_at = std::chrono::steady_clock::now();
  REQUIRE(client.send("paused"));
  client.advance(600 * kRate);
  REQUIRE(client.send("resumed", {{"start", "PT610S"}, {"discarded", "PT600S"}}));
  stream_example(client, 10 * kRate, 5 * kRate);
  REQUIRE(client.send("close", {{"reason", "end"}}));
  CHECK(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
  // Nothing of the 10 minutes went through the leg's ring or the feature extractor:
  // the 5 s after it streamed at 4x (1.25 s), and the whole rest took well under that.
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - paused_at).count();
  CHECK(wall_s < 8.0);
  CHECK(summary["duration_s"].get<double>() == Approx(615.0).margin(0.01));
  CHECK(summary["input"]["overflowed_frames"] == 0);
  CHECK(summary["gaps"]["paused_s"].get<double>() == Approx(600.0).margin(0.01));
  check_no_dead_air_in(read_events(out + "/" + conversation + ".events.jsonl"), 10.0, 610.0);
  CHECK(server.stop(SIGTERM) == 0);
}

namespace {

// An AudioSocket message (Asterisk res_audiosocket: type byte, 16-bit big-endian length, payload).
std::string as_message(std::uint8_t type, const std::string& payload) {
  std::string m;
  m += static_cast<char>(type);
  m += static_cast<char>((payload.size() >> 8) & 0xff);
  m += static_cast<char>(payload.size() & 0xff);
  return m + payload;
}

std::string uuid_bytes(const std::string& uuid) {
  std::string bytes;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (uuid[i] == '-') continue;
    bytes += static_cast<char>(std::stoi(uuid.substr(i, 2), nullptr, 16));
    ++i;
  }
  return bytes;
}

// 20 ms of one channel of the example call as slin (16-bit little-endian, 8 kHz).
std::string slin_of(const std::vector<std::int16_t>& stereo, int channel, std::int64_t first_frame, std::int64_t frames) {
  std::string bytes;
  for (std::int64_t i = first_frame; i < first_frame + frames; ++i) {
    const auto v = static_cast<std::uint16_t>(stereo[static_cast<std::size_t>(2 * i + channel)]);
    bytes += static_cast<char>(v & 0xff);
    bytes += static_cast<char>(v >> 8);
  }
  return bytes;
}

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

}  // namespace

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
  const auto audio_ptr = tw::test::example_call_audio();
  const auto& audio = *audio_ptr;
  // 4x real time; the caller's socket closes after 10 s, the agent's after 20 s.
  auto next = std::chrono::steady_clock::now();
  for (std::int64_t at = 0; at < 20 * kRate; at += 160) {
    if (at < 10 * kRate) REQUIRE(send_all(caller, as_message(0x10, slin_of(audio, 0, at, 160))));
    if (at == 10 * kRate) ::close(caller);  // how Asterisk hangs up: no 0x00, the socket closes
    REQUIRE(send_all(agent, as_message(0x10, slin_of(audio, 1, at, 160))));
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
  REQUIRE(send_all(fd, as_message(0x10, slin_of(audio, 0, 0, 160))));
  REQUIRE(send_all(fd, as_message(0x10, slin_of(audio, 0, 160, 160)).substr(0, 100)));
  ::close(fd);
  wait_for_summary(out + "/" + cut + ".summary.json", 30.0);
  std::this_thread::sleep_for(200ms);
  CHECK(server.err().find("connection_lost") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

namespace {

// Polls /metrics until `sample` has `value` (or timeout); returns the last value seen.
double wait_for_metric(std::uint16_t port, const std::string& sample, double value, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  double seen = -1.0;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = tw::test::metric_value(tw::test::http_request(port, "GET", "/metrics").body, sample);
    if (seen == value) break;
    std::this_thread::sleep_for(50ms);
  }
  return seen;
}

}  // namespace

TEST_CASE("serve while a call runs: /metrics has its frames and pauses / process and build_info metrics / a JSON log line per call start and end",
          "[server][audiohook][operators]") {
  const std::string out = fresh_dir("operators");
  ServeProcess server(out, audiohook_args({"--quiet", "--log-format", "json"}));
  const std::uint16_t port = server.http_port();
  const std::string conversation = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d";
  AudioHookClient client(port, kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open(conversation, json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  stream_example(client, 0, 3 * kRate);
  REQUIRE(client.send("paused"));
  client.advance(2 * kRate);
  REQUIRE(client.send("resumed", {{"start", "PT5S"}, {"discarded", "PT2S"}}));
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

TEST_CASE("audiohook conformance: ping update error and discarded in one session / position and seq on both sides",
          "[server][audiohook][conformance]") {
  const std::string out = fresh_dir("ah-walk");
  ServeProcess server(out, audiohook_args({"--quiet"}));
  const std::string conversation = "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a";
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  // L16 mono offered next to PCMU stereo: the server takes the two-party offer.
  REQUIRE(client.open(conversation, json::array({tw::test::audiohook_media("L16", {"external"}),
                                                tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  const auto opened = client.read_until("opened", 5.0);
  REQUIRE(opened);
  REQUIRE((*opened)["parameters"]["media"].size() == 1);
  CHECK((*opened)["parameters"]["media"][0]["format"] == "PCMU");
  CHECK((*opened)["parameters"]["media"][0]["channels"] == json::array({"external", "internal"}));
  stream_example(client, 0, 2 * kRate);
  REQUIRE(client.send("ping", {{"rtt", "PT0.02S"}}));
  const auto pong = client.read_until("pong", 5.0);
  REQUIRE(pong);
  CHECK((*pong)["clientseq"] == 2);
  REQUIRE(client.send("update", {{"language", "de-DE"}}));
  stream_example(client, 2 * kRate, 1 * kRate);
  REQUIRE(client.send("error", {{"code", 500}, {"message", "transient failure in the client"}}));
  client.advance(kRate / 2);
  REQUIRE(client.send("discarded", {{"start", "PT3S"}, {"discarded", "PT0.5S"}}));
  stream_example(client, 3 * kRate, 1 * kRate);
  REQUIRE(client.send("close", {{"reason", "end"}}));
  REQUIRE(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  check_server_messages(client);
  const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
  CHECK(summary["duration_s"].get<double>() == Approx(4.5).margin(0.01));
  CHECK(summary["input"]["paused_frames"] == kRate / 2);
  std::this_thread::sleep_for(200ms);
  const std::string metrics = tw::test::http_request(server.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_audio_frames_total{protocol=\"audiohook\"}") == 4 * kRate);
  CHECK(tw::test::metric_value(metrics, "tonewatch_ingest_paused_frames_total{protocol=\"audiohook\"}") == kRate / 2);
  CHECK(metrics.find("tonewatch_ingest_malformed_total{protocol=\"audiohook\"") == std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

namespace {

// Frames [first, first + frames) of the example call as the offered media carries
// them: each channel named in `channels` ("external" = the caller, the example's
// left; "internal" = the agent, its right), PCMU codes or L16 little-endian samples.
std::string example_as(const json& media, std::int64_t first, std::int64_t frames) {
  const auto audio_ptr = tw::test::example_call_audio();
  const auto& audio = *audio_ptr;
  const bool l16 = media["format"] == "L16";
  std::string bytes;
  for (std::int64_t i = first; i < first + frames; ++i) {
    for (const json& channel : media["channels"]) {
      const std::int16_t v = audio[static_cast<std::size_t>(2 * i + (channel == "external" ? 0 : 1))];
      if (l16) {
        bytes += static_cast<char>(static_cast<std::uint16_t>(v) & 0xff);
        bytes += static_cast<char>(static_cast<std::uint16_t>(v) >> 8);
      } else {
        bytes += static_cast<char>(tw::player::mulaw_encode(v));
      }
    }
  }
  return bytes;
}

const json* speaker_of(const json& summary, const std::string& role) {
  for (const json& s : summary["speakers"]) {
    if (s["role"] == role) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("audiohook conformance: each media the specification allows (PCMU or L16; one party, both, either order) is opened, streamed and heard as the same voices",
          "[server][audiohook][conformance]") {
  const std::string out = fresh_dir("ah-media");
  ServeProcess server(out, audiohook_args({"--quiet"}));
  // The first case is the reference: the example's two voices, PCMU stereo as Genesys
  // offers first. The example is µ-law, so L16 carries the very same samples and every
  // case must hear each party exactly as the reference did.
  const std::vector<json> cases = {
      tw::test::audiohook_media("PCMU", {"external", "internal"}), tw::test::audiohook_media("L16", {"external", "internal"}),
      tw::test::audiohook_media("L16", {"internal", "external"}),  tw::test::audiohook_media("PCMU", {"internal", "external"}),
      tw::test::audiohook_media("PCMU", {"external"}),             tw::test::audiohook_media("L16", {"internal"})};
  constexpr std::int64_t kFrames = 10 * kRate;
  json reference;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const json& media = cases[k];
    INFO("media " << media.dump());
    const std::string conversation = "5e1d7c3a-0b2f-4c6d-8e9a-00000000000" + std::to_string(k);
    AudioHookClient client(server.http_port(), kKey, kSecret);
    REQUIRE(client.connected());
    REQUIRE(client.open(conversation, json::array({media})));
    const auto opened = client.read_until("opened", 5.0);
    REQUIRE(opened);
    REQUIRE((*opened)["parameters"]["media"].size() == 1);
    CHECK((*opened)["parameters"]["media"][0] == media);
    CHECK((*opened)["parameters"]["startPaused"] == false);
    const int channels = static_cast<int>(media["channels"].size());
    for (std::int64_t at = 0; at < kFrames; at += 160) {  // 20 ms messages, 8x real time
      REQUIRE(client.send_audio(example_as(media, at, 160), 160));
      std::this_thread::sleep_for(2500us);
    }
    REQUIRE(client.send("close", {{"reason", "end"}}));
    REQUIRE(client.read_until("closed", 5.0));
    CHECK(client.wait_closed(5.0));
    CHECK(client.close_code() == 1000);
    check_server_messages(client);

    const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
    CHECK(summary["duration_s"].get<double>() == Approx(10.0).margin(0.01));
    CHECK(summary["input"]["overflowed_frames"] == 0);
    REQUIRE(summary["speakers"].size() == static_cast<std::size_t>(channels));
    if (k == 0) {
      reference = summary;
      REQUIRE(speaker_of(reference, "caller") != nullptr);
      REQUIRE(speaker_of(reference, "agent") != nullptr);
      CHECK((*speaker_of(reference, "caller"))["speech_time_s"].get<double>() > 1.0);  // both voices speak in it
      CHECK((*speaker_of(reference, "agent"))["speech_time_s"].get<double>() > 1.0);
      continue;
    }
    for (const json& channel : media["channels"]) {
      const std::string role = channel == "external" ? "caller" : "agent";
      INFO(role);
      const json* heard = speaker_of(summary, role);
      REQUIRE(heard != nullptr);
      const json& expected = *speaker_of(reference, role);
      // A party alone on the stream is measured as it is in stereo, within what the
      // other channel's crosstalk handling may move; in stereo it is the same figure.
      const double tolerance = channels == 2 ? 0.0 : 0.5;
      CHECK((*heard)["speech_time_s"].get<double>() == Approx(expected["speech_time_s"].get<double>()).margin(tolerance + 1e-9));
      CHECK((*heard)["f0_median_hz"].get<double>() == Approx(expected["f0_median_hz"].get<double>()).margin(2.0 * tolerance + 1e-9));
      CHECK((*heard)["syllables"].get<int>() == Approx(expected["syllables"].get<int>()).margin(4.0 * tolerance));
    }
  }

  // Nothing usable offered (Opus, or PCMU at 16 kHz): a disconnect with reason error,
  // then a close, and no call.
  AudioHookClient refused(server.http_port(), kKey, kSecret);
  REQUIRE(refused.connected());
  json opus = tw::test::audiohook_media("PCMU", {"external", "internal"});
  opus["format"] = "opus";
  json wideband = tw::test::audiohook_media("PCMU", {"external", "internal"});
  wideband["rate"] = 16000;
  REQUIRE(refused.open("5e1d7c3a-0b2f-4c6d-8e9a-0000000000ff", json::array({opus, wideband})));
  const auto disconnect = refused.read_until("disconnect", 5.0);
  REQUIRE(disconnect);
  CHECK((*disconnect)["parameters"]["reason"] == "error");
  CHECK((*disconnect)["parameters"]["info"].get<std::string>().find("PCMU or L16") != std::string::npos);
  CHECK(refused.wait_closed(5.0));
  CHECK(refused.close_code() != 1000);
  check_server_messages(refused);
  CHECK_FALSE(std::filesystem::exists(out + "/5e1d7c3a-0b2f-4c6d-8e9a-0000000000ff.summary.json"));
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("audiohook conformance: a call that ends while on hold (close during a pause) counts the hold as paused, not lost",
          "[server][audiohook][conformance][gaps]") {
  const std::string out = fresh_dir("ah-close-paused");
  ServeProcess server(out, audiohook_args({"--quiet"}));
  const std::string conversation = "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
  AudioHookClient client(server.http_port(), kKey, kSecret);
  REQUIRE(client.connected());
  REQUIRE(client.open(conversation, json::array({tw::test::audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
  stream_example(client, 0, 3 * kRate);
  REQUIRE(client.send("paused"));
  client.advance(2 * kRate);
  REQUIRE(client.send("update", {{"language", "es-ES"}}));  // sent during the hold, position moved on
  client.advance(3 * kRate);
  REQUIRE(client.send("close", {{"reason", "end"}}));
  REQUIRE(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  check_server_messages(client);
  const json summary = wait_for_summary(out + "/" + conversation + ".summary.json", 30.0);
  CHECK(summary["duration_s"].get<double>() == Approx(8.0).margin(0.01));
  CHECK(summary["input"]["paused_frames"] == 5 * kRate);
  CHECK(summary["gaps"]["paused_s"].get<double>() == Approx(5.0).margin(0.01));
  CHECK(summary["gaps"]["lost_s"].get<double>() == Approx(0.0).margin(0.01));
  check_no_dead_air_in(read_events(out + "/" + conversation + ".events.jsonl"), 3.0, 8.0);
  CHECK(server.stop(SIGTERM) == 0);
}

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
