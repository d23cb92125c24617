// Live ingest as the platforms speak it (issue 21): a real `tonewatch serve` on
// loopback sockets, driven by protocol clients written from each platform's
// specification (tests/support), checking what reaches the wire and what the
// server makes of it.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "stream_player/wire_format.h"
#include "support/audiohook_client.h"
#include "support/generic_stream.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/ws_client.h"
#include "build_paths.h"

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

