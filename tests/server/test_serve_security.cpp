// `tonewatch serve` under attack (issue 22): a real server process on loopback
// sockets, sent what an attacker would send. Each case states what the server
// must do instead of what it did: crash, fill the disk, serve a foreign page,
// spin at the descriptor limit.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/web_client.h"
#include "support/ws_client.h"
#include "build_paths.h"
#include "wire_format.h"

using nlohmann::json;
using namespace std::chrono_literals;
using tw::test::ServeProcess;

namespace {

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/security-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string metrics_of(std::uint16_t port) { return tw::test::http_request(port, "GET", "/metrics").body; }

// The issue's message: `{"call_id":"c","sample_rate":8000,"x":` + `[`×n + `]`×n + `}`.
std::string nested_metadata(const std::string& call_id, std::size_t n) {
  return R"({"call_id":")" + call_id + R"(","sample_rate":8000,"x":)" + std::string(n, '[') + std::string(n, ']') + "}";
}

// An AudioHook open whose customConfig holds `n` nested arrays (the key needs no signature).
std::string audiohook_open(std::size_t n) {
  const json open = {{"version", "2"},
                     {"id", "e160e428-53e2-487c-977d-96989bf5c99d"},
                     {"type", "open"},
                     {"seq", 1},
                     {"serverseq", 0},
                     {"position", "PT0S"},
                     {"parameters",
                      {{"organizationId", "d7934305-0972-4844-938e-9060eef73d05"},
                       {"conversationId", "090eaa2f-72fa-480a-83e0-8667ff89c0ec"},
                       {"participant", {{"id", "883efee8-3d6c-4537-b500-6d7ca4b92fa0"}}},
                       {"media", json::array({{{"type", "audio"}, {"format", "PCMU"}, {"channels", {"external", "internal"}}, {"rate", 8000}}})},
                       {"language", "en-US"},
                       {"customConfig", {{"x", "@"}}}}}};
  std::string text = open.dump();
  text.replace(text.find("\"@\""), 3, std::string(n, '[') + std::string(n, ']'));
  return text;
}

const std::vector<std::pair<std::string, std::string>> kAudioHookHeaders = {
    {"X-API-KEY", "key-1"},
    {"Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05"},
    {"Audiohook-Session-Id", "e160e428-53e2-487c-977d-96989bf5c99d"},
    {"Audiohook-Correlation-Id", "a160e428-53e2-487c-977d-96989bf5c99d"}};

// Sends `message` on a fresh connection to `path` and returns how the server closed it.
std::pair<int, std::string> close_after(std::uint16_t port, const std::string& path, const std::string& message,
                                        const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  tw::test::WsClient c(port, path, false, headers);
  REQUIRE(c.connected());
  c.send_text(message);
  REQUIRE(c.wait_closed(20.0));
  return {c.close_code(), c.close_reason()};
}

}  // namespace

TEST_CASE("security: JSON nested 100000 and 60000 deep on /stream and in AudioHook customConfig is refused and serve lives on",
          "[server][e2e][security]") {
  const std::string out = fresh_dir("nesting");
  // The JSON size limit raised past 200 KB: the depth check, not the size check, must refuse them.
  ServeProcess server(out, {"--quiet", "--max-json-bytes", "262144", "--audiohook-key", "key-1"});
  const std::uint16_t port = server.http_port();
  // A call in progress all along: it must be analysed and written as if nothing happened.
  tw::test::WsClient bystander(port, "/stream");
  REQUIRE(bystander.connected());
  REQUIRE(bystander.send_text(R"({"call_id":"bystander","sample_rate":8000,"channels":2})"));

  for (const std::size_t n : {std::size_t{100000}, std::size_t{60000}}) {
    INFO("depth " << n);
    const auto [code, reason] = close_after(port, "/stream", nested_metadata("deep" + std::to_string(n), n));
    CHECK(code == 1008);
    CHECK(reason.find("deeper than the limit") != std::string::npos);
    REQUIRE(tw::test::http_request(port, "GET", "/healthz").status == 200);
    REQUIRE(bystander.send_binary(std::string(3200, '\0')));
  }
  {
    const auto [code, reason] = close_after(port, "/audiohook", audiohook_open(60000), kAudioHookHeaders);
    CHECK(code == 1008);
    CHECK(reason.find("deeper than the limit") != std::string::npos);
  }
  {
    const auto [code, reason] = close_after(port, "/twilio", nested_metadata("tw", 60000));
    CHECK(code == 1008);
  }
  REQUIRE(tw::test::http_request(port, "GET", "/healthz").status == 200);
  for (int i = 0; i < 10; ++i) REQUIRE(bystander.send_binary(std::string(3200, '\0')));
  bystander.close();
  const json calls = tw::test::wait_for_ended_calls(port, 1, 20.0);
  REQUIRE(calls["recent"].size() == 1);  // no call was made of the refused streams
  CHECK(calls["recent"][0]["call"] == "bystander");
  CHECK(std::filesystem::exists(out + "/bystander.summary.json"));
  const std::string metrics = metrics_of(port);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_ingest_malformed_total{protocol="generic_ws",reason="too_deep"})") == 2);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_ingest_malformed_total{protocol="audiohook",reason="too_deep"})") == 1);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_ingest_malformed_total{protocol="twilio",reason="too_deep"})") == 1);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: with the default limits a 200 KB nesting is too big and a 60 KB one too deep", "[server][e2e][security]") {
  const std::string out = fresh_dir("nesting-defaults");
  ServeProcess server(out, {"--quiet"});
  const std::uint16_t port = server.http_port();
  CHECK(close_after(port, "/stream", nested_metadata("a", 100000)).first == 1009);  // 200 KB > --max-json-bytes 65536
  CHECK(close_after(port, "/stream", nested_metadata("b", 30000)).first == 1008);   // 60 KB, 30,001 deep
  CHECK(close_after(port, "/stream", nested_metadata("c", 10000)).first == 1008);   // 20 KB: a 200 MB summary before
  CHECK(tw::test::http_request(port, "GET", "/healthz").status == 200);
  CHECK(std::filesystem::is_empty(out));
  CHECK(server.stop(SIGTERM) == 0);
}

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// A short generic stream of silence; returns once the server closed it normally.
void short_call(std::uint16_t port, const std::string& metadata) {
  tw::test::WsClient c(port, "/stream");
  REQUIRE(c.connected());
  REQUIRE(c.send_text(metadata));
  for (int i = 0; i < 10; ++i) REQUIRE(c.send_binary(std::string(3200, '\0')));  // 1 s of stereo 8 kHz L16
  c.close();
}

}  // namespace

TEST_CASE("security: a call's summary stays a few KiB whatever metadata its stream sends", "[server][e2e][security]") {
  const std::string out = fresh_dir("output-bomb");
  ServeProcess server(out, {"--quiet"});
  const std::uint16_t port = server.http_port();
  // 60 KB of metadata within the depth limit: 1,000 keys, long strings, 31-deep arrays.
  json metadata = {{"call_id", "bomb"}, {"sample_rate", 8000}, {"channels", 2}, {"agent_id", "A17"}};
  for (int i = 0; i < 1000; ++i) metadata["k" + std::to_string(i)] = std::string(40, 'v');
  metadata["long"] = std::string(10000, 'L');
  std::string text = metadata.dump();
  text.insert(text.size() - 1, ",\"deep\":" + std::string(30, '[') + std::string(30, ']'));
  REQUIRE(text.size() > 50000);
  REQUIRE(text.size() < 65536);
  short_call(port, text);
  // And the same again, for a summary to compare against: a call with no metadata at all.
  short_call(port, R"({"call_id":"plain","sample_rate":8000,"channels":2})");
  REQUIRE(tw::test::wait_for_calls_ended(port, {"bomb", "plain"}, 20.0));
  REQUIRE(std::filesystem::exists(out + "/bomb.summary.json"));
  const auto bomb = std::filesystem::file_size(out + "/bomb.summary.json");
  const auto plain = std::filesystem::file_size(out + "/plain.summary.json");
  INFO("summary bytes: bomb " << bomb << ", plain " << plain);
  CHECK(bomb < plain + 8192);  // the metadata kept is 4 KiB at most (pretty-printed: a little more)
  const json summary = read_json(out + "/bomb.summary.json");
  const json& kept = summary["input"]["metadata"];
  CHECK(kept.dump().size() <= 4096);
  CHECK(kept["agent_id"] == "A17");  // what fits is kept as sent
  CHECK(kept["platform_call_id"] == "bomb");
  CHECK(summary["input"]["metadata_cut"].get<int>() > 900);
  for (const char* file : {"/bomb.report.json", "/bomb.report.html"}) {
    INFO(file);
    CHECK(std::filesystem::file_size(out + file) < std::filesystem::file_size(out + std::string("/plain") + (file + 5)) + 16384);
  }
  const std::string metrics = metrics_of(port);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_metadata_cut_total{protocol="generic_ws"})") > 900);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: the ingest endpoints refuse WebSocket upgrades from web pages unless their origin is allowed",
          "[server][e2e][security]") {
  const std::string out = fresh_dir("origin");
  ServeProcess server(out, {"--quiet", "--audiohook-key", "key-1", "--ingest-origin", "https://ops.example"});
  const std::uint16_t port = server.http_port();
  const std::vector<std::pair<std::string, std::string>> evil = {{"Origin", "http://evil.example"}};
  for (const char* path : {"/stream", "/twilio"}) {
    INFO(path);
    tw::test::WsClient c(port, path, false, evil);
    CHECK_FALSE(c.connected());
    CHECK(c.refusal_status() == 403);
  }
  {
    auto headers = kAudioHookHeaders;  // a valid key does not make a web page a platform
    headers.emplace_back("Origin", "http://evil.example");
    tw::test::WsClient c(port, "/audiohook", false, headers);
    CHECK_FALSE(c.connected());
    CHECK(c.refusal_status() == 403);
  }
  {
    tw::test::WsClient c(port, "/stream", false, {{"Origin", "HTTPS://ops.example"}});  // allowed (case-insensitive)
    CHECK(c.connected());
  }
  {
    tw::test::WsClient c(port, "/stream");  // a platform: no Origin
    CHECK(c.connected());
  }
  const std::string metrics = metrics_of(port);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_rejected_connections_total{reason="origin"})") == 3);
  CHECK(server.err().find("refused (403): Origin http://evil.example") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: without a token the DNS-rebinding check compares the whole Host name", "[server][e2e][security]") {
  const std::string out = fresh_dir("host");
  ServeProcess server(out, {"--quiet"});
  const std::uint16_t port = server.http_port();
  const std::string p = ":" + std::to_string(port);
  auto status_with_host = [&](const std::string& host) {
    return tw::test::http_request("127.0.0.1", port, "GET", "/api/calls", {{"Host", host}}).status;
  };
  for (const std::string& host : std::vector<std::string>{"127.evil.example" + p, "127.0.0.1.evil.example" + p, "localhost.evil.example" + p,
                                 "127.evil.example", "evil.example" + p}) {
    INFO(host);
    CHECK(status_with_host(host) == 403);
    CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/events", {{"Host", host}}) == 403);
    CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed", {{"Host", host}}) == 403);
  }
  for (const std::string& host : std::vector<std::string>{"127.0.0.1" + p, "localhost" + p, "LOCALHOST" + p, "127.0.0.2" + p, "[::1]" + p,
                                 "app.localhost" + p}) {
    INFO(host);
    CHECK(status_with_host(host) == 200);
  }
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/events", {{"Host", "127.0.0.1" + p}}) == 0);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: an acknowledgement's user name is checked as a login name is", "[server][e2e][security]") {
  const std::string out = fresh_dir("ack-user");
  ServeProcess server(out, {"--quiet"});
  const std::uint16_t port = server.http_port();
  auto ack_as = [&](const std::string& user_query) {
    return tw::test::http_request(port, "POST", "/api/alerts/some-call/1/ack?user=" + user_query).status;
  };
  CHECK(ack_as(std::string(65, 'a')) == 400);
  CHECK(ack_as("eve%0d%0aX-Forged:%20yes") == 400);
  CHECK(ack_as("eve%00") == 400);
  CHECK(ack_as("%1b%5b31mred") == 400);
  CHECK(ack_as("") == 400);
  CHECK(ack_as(std::string(64, 'a')) == 404);  // a good name: on to the alert, which does not exist
  CHECK(ack_as("Jane%20Doe") == 404);
  CHECK(server.stop(SIGTERM) == 0);
}

namespace {
// Sends raw bytes on a fresh connection and returns everything the server wrote until it closed (or 5 s).
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
  const int fd = tw::test::raw_connect(port);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("security: a request with an unknown transfer coding gets 400 and its body is never read as a request",
          "[server][e2e][security]") {
  const std::string out = fresh_dir("transfer-encoding");
  ServeProcess server(out, {"--quiet"});
  const std::uint16_t port = server.http_port();
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  auto post = [&](const std::string& coding, const std::string& body) {
    return raw_exchange(port, "POST /api/alerts/c/1/ack?user=bob HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: " + coding +
                                  "\r\n\r\n" + body);
  };
  {
    const std::string reply = post("xchunked", smuggled);
    INFO(reply);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(count_of(reply, "HTTP/1.1 ") == 1);  // not a second answer, to the GET in the body
  }
  {
    const std::string reply = post("chunked, xchunked", smuggled);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(count_of(reply, "HTTP/1.1 ") == 1);
  }
  {
    const std::string reply = post("gzip, chunked", "0\r\n\r\n");  // framed, but a coding serve does not decode
    CHECK(reply.rfind("HTTP/1.1 501", 0) == 0);
  }
  {
    const std::string reply = post("Chunked", "0\r\n\r\n");  // well framed: on to the handler (no such alert)
    CHECK(reply.rfind("HTTP/1.1 404", 0) == 0);
  }
  CHECK(tw::test::metric_value(metrics_of(port), "tonewatch_protocol_errors_total") >= 3);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: a call id with a newline and terminal escapes cannot forge or color a log line", "[server][e2e][security]") {
  const std::string out = fresh_dir("log-forging");
  ServeProcess server(out, {"--quiet", "--max-calls", "1"});
  const std::uint16_t port = server.http_port();
  tw::test::WsClient first(port, "/stream");
  REQUIRE(first.send_text(R"({"call_id":"first","sample_rate":8000})"));
  REQUIRE(first.send_binary(std::string(1600, '\0')));
  std::this_thread::sleep_for(300ms);
  // Refused (--max-calls 1), and the refusal is logged with the call id in it.
  const json evil = {{"call_id", "x\ntonewatch serve: FORGED all calls dropped\x1b[2J\r\x07"}, {"sample_rate", 8000}};
  tw::test::WsClient second(port, "/stream");
  REQUIRE(second.send_text(evil.dump()));
  REQUIRE(second.wait_closed(5.0));
  CHECK(second.close_code() == 1013);
  first.close();
  CHECK(server.stop(SIGTERM) == 0);
  const std::string log = server.err();
  INFO(log);
  CHECK(log.find("FORGED") != std::string::npos);  // the line is there ...
  CHECK(log.find("\ntonewatch serve: FORGED") == std::string::npos);  // ... but on the refusal's own line
  CHECK(log.find("x\\x0atonewatch serve: FORGED all calls dropped\\x1b[2J\\x0d\\x07") != std::string::npos);
  for (const char c : log) {
    if (c == '\n') continue;
    CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7F));
  }
}

namespace {

// A TCP connection to 127.0.0.1:port from the loopback address `source` (127.0.0.2: another
// client than the test's own requests, which come from 127.0.0.1). -1 on failure.
int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime (proc(5))
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Flood {
  std::vector<int> fds;
  ~Flood() {
    for (const int fd : fds) ::close(fd);
  }
  void open(std::uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = connect_from("127.0.0.2", port);
      if (fd >= 0) fds.push_back(fd);
    }
  }
};

const std::vector<std::string> kLowDescriptors = {"/usr/bin/prlimit", "--nofile=200", "--"};

}  // namespace

TEST_CASE("security: a connection flood under a low descriptor limit meets the limits and /healthz keeps answering",
          "[server][e2e][security][flood]") {
  const std::string out = fresh_dir("flood");
  // 200 descriptors: 64 kept back, 3 per call, the rest shared by three listeners.
  ServeProcess server(out, {"--quiet", "--max-calls", "10"}, true, 0, kLowDescriptors);
  const std::uint16_t port = server.http_port();
  Flood flood;
  flood.open(server.caller_port(), 300);  // idle AudioSocket connections
  flood.open(port, 300);                  // idle HTTP connections
  REQUIRE(flood.fds.size() == 600);       // the kernel completes them; serve decides what to keep
  std::this_thread::sleep_for(500ms);
  const double cpu_before = cpu_seconds(server.pid());
  for (int i = 0; i < 10; ++i) {
    INFO("request " << i);
    CHECK(tw::test::http_request(port, "GET", "/healthz").status == 200);
    std::this_thread::sleep_for(200ms);
  }
  const double cpu_used = cpu_seconds(server.pid()) - cpu_before;
  CHECK(cpu_used < 0.5);  // over 2 s: no accept loop spinning on EMFILE
  short_call(port, R"({"call_id":"during-flood","sample_rate":8000,"channels":2})");  // a real call still gets in
  const std::string metrics = metrics_of(port);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_connections_refused_total{limit="address"})") >= 500);
  CHECK(tw::test::metric_value(metrics, "tonewatch_accept_backoffs_total") == 0);  // never out of descriptors
  CHECK(tw::test::metric_value(metrics, "tonewatch_open_connections") < 60);
  CHECK(server.stop(SIGTERM) == 0);
  CHECK(std::filesystem::exists(out + "/during-flood.summary.json"));
}

TEST_CASE("security: at the descriptor limit the accept loop pauses instead of spinning and counts it",
          "[server][e2e][security][flood]") {
  const std::string out = fresh_dir("emfile");
  // Limits set past what 200 descriptors allow: the flood meets EMFILE itself.
  ServeProcess server(out, {"--quiet", "--max-connections", "100000", "--max-connections-per-address", "100000"}, false, 0,
                      kLowDescriptors);
  CHECK(server.err().find("more than the open-file limit") != std::string::npos);
  const std::uint16_t port = server.http_port();
  {
    Flood flood;
    flood.open(port, 400);
    std::this_thread::sleep_for(500ms);
    const double cpu_before = cpu_seconds(server.pid());
    std::this_thread::sleep_for(2s);
    const double cpu_used = cpu_seconds(server.pid()) - cpu_before;
    CHECK(cpu_used < 0.5);  // was a whole core: accept, EMFILE, accept again ...
  }
  // The flood gone, serve takes connections again.
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    answered = tw::test::http_request(port, "GET", "/healthz").status == 200;
    if (!answered) std::this_thread::sleep_for(100ms);
  }
  CHECK(answered);
  CHECK(tw::test::metric_value(metrics_of(port), "tonewatch_accept_backoffs_total") >= 1);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: feed readers that answer no ping are closed and the number of readers is capped",
          "[server][e2e][security]") {
  const std::string out = fresh_dir("feed-idle");
  ServeProcess server(out, {"--quiet", "--feed-idle-timeout", "2", "--max-feed-clients", "3"});
  const std::uint16_t port = server.http_port();
  // A socket that completes the handshake and then never answers: closed after about 2 s.
  for (const char* path : {"/dashboard/feed", "/events"}) {
    INFO(path);
    const int fd = tw::test::raw_connect(port);
    REQUIRE(fd >= 0);
    const std::string upgrade = std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n";
    REQUIRE(::send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(upgrade.size()));
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto start = std::chrono::steady_clock::now();
    std::string received;
    bool closed = false;
    while (!closed && std::chrono::steady_clock::now() - start < 10s) {
      char buffer[4096];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
      closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    ::close(fd);
    CHECK(received.rfind("HTTP/1.1 101", 0) == 0);
    CHECK(closed);
    const double after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(after_s > 1.5);
    CHECK(after_s < 6.0);
  }
  // A reader that answers pings (every WebSocket client does while it reads) stays: a tick a second for 6 s.
  {
    tw::test::WsClient page(port, "/dashboard/feed");
    REQUIRE(page.connected());
    int messages = 0;
    for (const auto start = std::chrono::steady_clock::now(); std::chrono::steady_clock::now() - start < 6s;) {
      if (!page.read(3.0)) break;
      ++messages;
    }
    CHECK(messages >= 5);  // the snapshot and the ticks, never cut off
  }
  // At most 3 readers of /events at once: the 4th is told 503.
  {
    tw::test::WsClient a(port, "/events"), b(port, "/events"), c(port, "/events");
    REQUIRE((a.connected() && b.connected() && c.connected()));
    tw::test::WsClient d(port, "/events");
    CHECK_FALSE(d.connected());
    CHECK(d.refusal_status() == 503);
  }
  const std::string metrics = metrics_of(port);
  CHECK(tw::test::metric_value(metrics, "tonewatch_idle_timeouts_total") >= 2);
  CHECK(tw::test::metric_value(metrics, R"(tonewatch_connections_refused_total{limit="feed"})") == 1);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: a signed AudioHook upgrade replayed within its window is refused", "[server][e2e][security]") {
  const std::string out = fresh_dir("replay");
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";  // base64 of "secret-secret-secret"
  ServeProcess server(out, {"--quiet", "--audiohook-key", "key-1:" + secret});
  const std::uint16_t port = server.http_port();
  std::mt19937_64 rng(22);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto signed_headers = tw::player::audiohook_signed_headers(
      "/audiohook", "127.0.0.1:" + std::to_string(port), "key-1", secret, "d7934305-0972-4844-938e-9060eef73d05",
      "e160e428-53e2-487c-977d-96989bf5c99d", "a160e428-53e2-487c-977d-96989bf5c99d", now, rng);
  {
    tw::test::WsClient first(port, "/audiohook", false, signed_headers.headers);
    CHECK(first.connected());
  }
  {
    tw::test::WsClient again(port, "/audiohook", false, signed_headers.headers);  // the same headers, captured and resent
    CHECK_FALSE(again.connected());
    CHECK(again.refusal_status() == 401);
  }
  {
    const auto fresh = tw::player::audiohook_signed_headers(
        "/audiohook", "127.0.0.1:" + std::to_string(port), "key-1", secret, "d7934305-0972-4844-938e-9060eef73d05",
        "e160e428-53e2-487c-977d-96989bf5c99d", "a160e428-53e2-487c-977d-96989bf5c99d", now, rng);
    tw::test::WsClient next(port, "/audiohook", false, fresh.headers);  // a new nonce: a new request
    CHECK(next.connected());
  }
  CHECK(tw::test::metric_value(metrics_of(port), R"(tonewatch_rejected_connections_total{reason="unauthorized"})") == 1);
  CHECK(server.err().find("replayed request") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: a session ends at logout and token guesses are throttled and logged per address", "[server][e2e][security]") {
  const std::string out = fresh_dir("sessions");
  const std::string token = "s3cret-token-of-the-floor";
  ServeProcess server(out, {"--quiet", "--dashboard-token", token});
  const std::uint16_t port = server.http_port();
  auto get = [&](const std::string& target, const tw::test::Headers& h) {
    return tw::test::http_request("127.0.0.1", port, "GET", target, h).status;
  };
  const tw::test::Headers form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto login = [&] {
    const auto r = tw::test::http_request("127.0.0.1", port, "POST", "/login", form, "user=Dana&token=" + token + "&next=%2F");
    REQUIRE(r.status == 303);
    const std::string set = r.header("set-cookie");
    return set.substr(0, set.find(';'));
  };
  // Logout ends the session itself, not just the browser's copy of the cookie.
  const std::string stolen = login();
  CHECK(get("/api/calls", {{"Cookie", stolen}}) == 200);
  CHECK(tw::test::http_request("127.0.0.1", port, "POST", "/logout", {{"Cookie", stolen}}).status == 303);
  CHECK(get("/api/calls", {{"Cookie", stolen}}) == 401);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/dashboard/feed", {{"Cookie", stolen}}) == 401);
  const std::string session = login();  // a new login works
  CHECK(get("/api/calls", {{"Cookie", session}}) == 200);

  // Guesses: 10 are checked (401), then the address is refused unchecked (429), the right token too.
  int refused = 0, throttled = 0;
  for (int i = 0; i < 30; ++i) {
    const int status = get("/api/calls", {{"Authorization", "Bearer guess-" + std::to_string(i)}});
    refused += status == 401;
    throttled += status == 429;
  }
  CHECK(refused == 10);
  CHECK(throttled == 20);
  CHECK(get("/api/calls", {{"Authorization", "Bearer " + token}}) == 429);
  CHECK(tw::test::http_request("127.0.0.1", port, "POST", "/login", form, "user=Dana&token=" + token + "&next=%2F").status == 429);
  CHECK(tw::test::websocket_refusal("127.0.0.1", port, "/events", {{"Authorization", "Bearer " + token}}) == 429);
  CHECK(get("/api/calls", {{"Cookie", session}}) == 200);  // a logged-in supervisor is not locked out
  const auto metrics = tw::test::http_request("127.0.0.1", port, "GET", "/metrics", {{"Cookie", session}});
  REQUIRE(metrics.status == 200);
  CHECK(tw::test::metric_value(metrics.body, R"(tonewatch_auth_failures_total{kind="bearer"})") == 10);
  CHECK(tw::test::metric_value(metrics.body, "tonewatch_auth_throttled_total") == 23);
  const std::string log = server.err();
  CHECK(log.find("dashboard: wrong token (bearer) from 127.0.0.1") != std::string::npos);
  CHECK(log.find("10 wrong tokens from 127.0.0.1 in 60 s") != std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("security: serve warns at start about unauthenticated ingest beyond loopback and clear-text tokens and unsigned webhooks",
          "[server][e2e][security]") {
  const std::string out = fresh_dir("warnings");
  const std::vector<std::string> common = {"--quiet", "--dashboard-token", "s3cret-token-of-the-floor", "--webhook",
                                           "http://127.0.0.1:9/hook"};
  {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--listen", "0.0.0.0:0", "--audiosocket", "0.0.0.0:0"});
    ServeProcess exposed(out, args);
    const std::string log = exposed.err();
    INFO(log);
    CHECK(log.find("warning: /twilio and /stream on 0.0.0.0:0 take a call from anyone who can reach it") != std::string::npos);
    CHECK(log.find("warning: the dashboard token and login cookies cross the network in clear text") != std::string::npos);
    CHECK(log.find("warning: AudioSocket on 0.0.0.0:0 takes a call from anyone who can reach it") != std::string::npos);
    CHECK(log.find("warning: webhooks are not signed") != std::string::npos);
    CHECK(exposed.stop(SIGTERM) == 0);
  }
  {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--audiosocket", "127.0.0.1:0", "--webhook-secret", "hook-secret"});
    ServeProcess local(out, args);  // loopback listeners, signed webhooks: nothing to warn about
    const std::string log = local.err();
    for (const char* warning : {"take a call from anyone", "takes a call from anyone", "clear text", "not signed"}) {
      INFO(warning);
      CHECK(log.find(warning) == std::string::npos);
    }
    CHECK(local.stop(SIGTERM) == 0);
  }
}

TEST_CASE("security: a call longer than --max-call-s is ended and written so its outputs stay bounded", "[server][e2e][security]") {
  const std::string out = fresh_dir("max-call");
  ServeProcess server(out, {"--quiet", "--max-call-s", "2"});
  const std::uint16_t port = server.http_port();
  tw::test::WsClient c(port, "/stream");
  REQUIRE(c.send_text(R"({"call_id":"endless","sample_rate":8000,"channels":2})"));
  for (int i = 0; i < 150; ++i) {  // 15 s of audio, 0.1 s every 20 ms; what comes after the cut is ignored
    (void)c.send_binary(std::string(3200, '\0'));
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(c.wait_closed(10.0));
  CHECK(c.close_code() == 1008);
  CHECK(c.close_reason().find("maximum length (--max-call-s)") != std::string::npos);
  REQUIRE(tw::test::wait_for_calls_ended(port, {"endless"}, 20.0));
  const json summary = read_json(out + "/endless.summary.json");
  const double duration_s = summary["duration_s"].get<double>();
  CHECK(duration_s >= 2.0);
  CHECK(duration_s < 4.0);
  CHECK(summary["warnings"].dump().find("--max-call-s") != std::string::npos);
  CHECK(tw::test::metric_value(metrics_of(port), "tonewatch_calls_cut_total") == 1);
  CHECK(server.stop(SIGTERM) == 0);
}
