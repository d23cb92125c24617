// The SIPREC recorder's signalling (src/siprec, through libre) driven by a real SIP client:
// SIPp (Debian sip-tester), with the scenarios in tests/siprec/scenarios/ acting as the
// SBC (the SRC). Each test checks SIPp's verdict (exit status 0: every call went as its
// scenario says, answers checked with <ereg>) and what the session sink saw.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "build_paths.h"
#include "siprec/siprec_signalling.h"
#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/sipp.h"

using namespace tw::siprec;
using tw::features::SpeakerRole;
using tw::test::run_sipp;
using tw::test::sipp_arguments;
using tw::test::sipp_options;
using tw::test::sipp_program;

namespace {

constexpr std::uint16_t kRtpFirst = 30000;
constexpr std::uint16_t kRtpLast = 30099;

// Keeps everything the signalling reports; the tests wait on it (the sink is called on
// the SIP thread, and a BYE's session end may come just after SIPp has its 200).
class RecordingSessionSink : public SiprecSessionSink {
 public:
  void on_session_start(const SessionInfo& info) override {
    const std::lock_guard lock(mutex_);
    starts_.push_back(info);
    changed_.notify_all();
  }
  void on_session_update(const SessionInfo& info, const SessionChange& change) override {
    const std::lock_guard lock(mutex_);
    updates_.emplace_back(info, change);
    changed_.notify_all();
  }
  void on_session_end(std::uint64_t id, SessionEndReason reason) override {
    const std::lock_guard lock(mutex_);
    ends_.emplace_back(id, reason);
    changed_.notify_all();
  }
  /// Waits up to 5 s for `ready` to hold; true when it did.
  bool wait_for(const std::function<bool()>& ready) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), ready);
  }
  std::vector<SessionInfo> starts() {
    const std::lock_guard lock(mutex_);
    return starts_;
  }
  std::vector<std::pair<SessionInfo, SessionChange>> updates() {
    const std::lock_guard lock(mutex_);
    return updates_;
  }
  std::vector<std::pair<std::uint64_t, SessionEndReason>> ends() {
    const std::lock_guard lock(mutex_);
    return ends_;
  }
  std::size_t start_count() { return starts().size(); }
  std::size_t end_count() { return ends().size(); }

  std::vector<SessionInfo> starts_;
  std::vector<std::pair<SessionInfo, SessionChange>> updates_;
  std::vector<std::pair<std::uint64_t, SessionEndReason>> ends_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// Log lines, kept for the checks.
struct LogLines {
  std::mutex mutex;
  std::vector<std::string> lines;
  LogCallback callback() {
    return [this](LogLevel, std::string_view line) {
      const std::lock_guard lock(mutex);
      lines.emplace_back(line);
    };
  }
  bool contains(std::string_view text) {
    const std::lock_guard lock(mutex);
    for (const std::string& line : lines)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
  std::string all() {
    const std::lock_guard lock(mutex);
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
  }
};

SiprecConfig test_config(std::uint16_t port) {
  SiprecConfig config;
  config.listen_address = "127.0.0.1";
  config.listen_port = port;
  config.rtp_port_first = kRtpFirst;
  config.rtp_port_last = kRtpLast;
  config.agent_patterns = {"sip:*@agents.biloxi.example.com"};
  return config;
}

// SIPp's verdict, with its screen and messages when it failed. `command` runs once.
#define REQUIRE_SIPP_PASSED(command)                                                     \
  do {                                                                                   \
    const tw::test::CommandResult sipp_result_ = (command);                              \
    INFO("sipp stdout:\n" << sipp_result_.out << "\nsipp stderr:\n" << sipp_result_.err); \
    REQUIRE(sipp_result_.exit_code == 0);                                                \
  } while (false)

// The checks of an answered SIPREC call of the two-stream scenario (labels 1 and 2, Alice
// the caller sends label 1, Bob an agent by the agents.biloxi pattern sends label 2).
void check_two_stream_session(const SessionInfo& session, const std::string& transport) {
  CHECK(session.transport == transport);
  CHECK(session.source.rfind("127.0.0.1:", 0) == 0);
  CHECK_FALSE(session.call_id.empty());
  CHECK_FALSE(session.on_hold);
  REQUIRE(session.streams.size() == 2);
  std::set<int> ports;
  for (std::size_t i = 0; i < 2; ++i) {
    const StreamInfo& stream = session.streams[i];
    INFO("stream " << i);
    CHECK(stream.media_index == i);
    CHECK(stream.label == std::to_string(i + 1));
    CHECK(stream.accepted);
    CHECK(stream.local_rtp_port % 2 == 0);
    CHECK(stream.local_rtp_port >= kRtpFirst);
    CHECK(stream.local_rtp_port + 1 <= kRtpLast);
    ports.insert(stream.local_rtp_port);
    CHECK(stream.remote_address == "127.0.0.1");
    CHECK(stream.remote_rtp_port == 12240 + 2 * i);
    REQUIRE(stream.formats.size() == 2);
    CHECK(stream.formats[0].payload_type == 0);
    CHECK(stream.formats[0].encoding == "PCMU");
    CHECK(stream.formats[0].clock_rate_hz == 8000);
    CHECK(stream.formats[1].payload_type == 101);
    CHECK(stream.formats[1].encoding == "telephone-event");
    CHECK_FALSE(stream.on_hold);
  }
  CHECK(ports.size() == 2);
  CHECK(session.streams[0].role == SpeakerRole::caller);
  CHECK(session.streams[0].participant_name == "Alice");
  CHECK(session.streams[0].participant_aor == "sip:alice@atlanta.example.com");
  CHECK(session.streams[1].role == SpeakerRole::agent);
  CHECK(session.streams[1].role_basis == "agent_pattern");
  CHECK(session.streams[1].participant_name == "Bob");
  CHECK(session.metadata_json.find("\"Alice\"") != std::string::npos);
  CHECK(session.metadata_json.find("ab30317f1a784dc48ff824d0d3715d86") != std::string::npos);
}

void send_udp(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
          static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

// A recorder with the test configuration on a free port, started, and what it reports.
// The members are named as the tests use them.
struct RunningRecorder {
  RecordingSessionSink sink;
  LogLines log;
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecSignalling signalling{test_config(port), sink, log.callback()};
  RunningRecorder() { signalling.start(); }
};

}  // namespace

TEST_CASE_METHOD(RunningRecorder, "A SIPREC INVITE from SIPp over UDP is answered recvonly with its labels and two RTP ports and BYE ends it",
          "[siprec]") {
  const auto result = run_sipp("siprec_call.xml", port);
  REQUIRE_SIPP_PASSED(result);
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  const auto starts = sink.starts();
  REQUIRE(starts.size() == 1);
  check_two_stream_session(starts[0], "udp");
  const auto ends = sink.ends();
  CHECK(ends[0].first == starts[0].id);
  CHECK(ends[0].second == SessionEndReason::bye);
  CHECK(sink.updates().empty());
  CHECK(signalling.session_count() == 0);
  INFO(log.all());
  CHECK(log.contains("established"));
}

TEST_CASE_METHOD(RunningRecorder, "A SIPREC INVITE from SIPp over TCP is answered the same way and BYE ends it", "[siprec]") {
  const auto result = run_sipp("siprec_call.xml", port, "t1");
  REQUIRE_SIPP_PASSED(result);
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  const auto starts = sink.starts();
  REQUIRE(starts.size() == 1);
  check_two_stream_session(starts[0], "tcp");
  CHECK(sink.ends()[0].second == SessionEndReason::bye);
}

TEST_CASE_METHOD(RunningRecorder, "An OPTIONS probe from SIPp is answered 200 with Allow and Accept", "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("options.xml", port));
  CHECK(sink.start_count() == 0);
}

TEST_CASE("An INVITE cancelled before the answer gets 487 and never reaches the sink", "[siprec]") {
  RecordingSessionSink sink;
  LogLines log;
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecConfig config = test_config(port);
  // libre answers at once otherwise: the delay opens the window a CANCEL needs.
  config.answer_delay_ms = 1500;
  SiprecSignalling signalling(config, sink, log.callback());
  signalling.start();
  REQUIRE_SIPP_PASSED(run_sipp("cancel.xml", port));
  INFO(log.all());
  CHECK(log.contains("cancelled before the answer"));
  CHECK(sink.start_count() == 0);
  CHECK(sink.end_count() == 0);
  CHECK(signalling.session_count() == 0);
}

TEST_CASE_METHOD(RunningRecorder, "A re-INVITE making both streams inactive is reported as a hold with the partial metadata merged",
          "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("siprec_hold.xml", port));
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  const auto updates = sink.updates();
  REQUIRE(updates.size() == 1);
  const auto& [info, change] = updates[0];
  CHECK(change.hold_changed);
  CHECK(change.metadata_changed);
  CHECK_FALSE(change.streams_changed);
  CHECK(info.on_hold);
  REQUIRE(info.streams.size() == 2);
  CHECK(info.streams[0].on_hold);
  CHECK(info.streams[1].on_hold);
  // The ports stay the same through the hold (RFC 3264 §8: the answerer keeps its ports).
  const auto starts = sink.starts();
  REQUIRE(starts.size() == 1);
  CHECK(info.streams[0].local_rtp_port == starts[0].streams[0].local_rtp_port);
  CHECK(info.streams[1].local_rtp_port == starts[0].streams[1].local_rtp_port);
  // RFC 7865 §6.1.1 partial update: Bob is now Robert, Alice is kept.
  CHECK(info.streams[1].participant_name == "Robert");
  CHECK(info.streams[1].role == SpeakerRole::agent);
  CHECK(info.streams[0].participant_name == "Alice");
  CHECK(sink.ends()[0].second == SessionEndReason::bye);
}

TEST_CASE_METHOD(RunningRecorder, "A re-INVITE that removes one stream and adds another is reported with the ports updated", "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("siprec_streams.xml", port));
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  const auto starts = sink.starts();
  const auto updates = sink.updates();
  REQUIRE(starts.size() == 1);
  REQUIRE(updates.size() == 1);
  const auto& [info, change] = updates[0];
  CHECK(change.streams_changed);
  CHECK_FALSE(change.metadata_changed);  // an SDP-only re-INVITE keeps the metadata
  CHECK_FALSE(change.hold_changed);
  REQUIRE(info.streams.size() == 3);
  CHECK(info.streams[0].accepted);
  CHECK(info.streams[0].local_rtp_port == starts[0].streams[0].local_rtp_port);
  // RFC 3264 §8.2: port 0 removes stream 2; its RTP port goes back to the pool.
  CHECK_FALSE(info.streams[1].accepted);
  CHECK(info.streams[1].local_rtp_port == 0);
  CHECK(info.streams[2].label == "3");
  CHECK(info.streams[2].accepted);
  REQUIRE(info.streams[2].formats.size() == 1);
  CHECK(info.streams[2].formats[0].encoding == "PCMA");
  CHECK(info.streams[2].local_rtp_port % 2 == 0);
  CHECK(info.streams[2].local_rtp_port != info.streams[0].local_rtp_port);
  // No metadata stream has label 3: it falls back on SDP order (not the first stream: an agent's).
  CHECK(info.streams[2].role_basis == "sdp_order");
  CHECK(info.streams[0].participant_name == "Alice");
}

// RFC 4028 session timers, at a few seconds instead of the RFC's 90 s floor so that a test
// sees refreshes and an expiry (SiprecConfig::min_session_expires_s is ours to lower).
struct RecorderWithShortTimers {
  RecordingSessionSink sink;
  LogLines log;
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecSignalling signalling{config(port), sink, log.callback()};
  RecorderWithShortTimers() { signalling.start(); }
  static SiprecConfig config(std::uint16_t port) {
    SiprecConfig c = test_config(port);
    c.min_session_expires_s = 2;
    return c;
  }
};

TEST_CASE_METHOD(RecorderWithShortTimers,
                 "Session timer refreshed by the SRC: every 2xx carries Session-Expires and Require timer and no refresh ends it with our BYE",
                 "[siprec]") {
  // SIPp: INVITE with Session-Expires 8 (refresher=uac), a refresh re-INVITE 2 s later, then
  // nothing: our BYE is due 5.33 s after the refresh (8 s less min(32 s, 8/3 s), RFC 4028 §10).
  const auto started = std::chrono::steady_clock::now();
  REQUIRE_SIPP_PASSED(run_sipp("siprec_session_timer_uac.xml", port));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  INFO(log.all());
  CHECK(sink.ends()[0].second == SessionEndReason::expired);
  CHECK(log.contains("no session refresh within the 8 s session interval"));
  // Refresh at 2 s, BYE at 7.33 s: had the refresh not restarted the timer, the BYE would
  // have come at 5.33 s.
  CHECK(seconds > 6.8);
  CHECK(seconds < 10.5);
}

TEST_CASE_METHOD(RecorderWithShortTimers, "Session timer the SRC asks us to refresh: our re-INVITE at half the interval offers the same streams",
                 "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("siprec_session_timer_uas.xml", port));
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  INFO(log.all());
  CHECK(log.contains("session refresh (re-INVITE) sent"));
  CHECK(sink.ends()[0].second == SessionEndReason::bye);
  CHECK(sink.updates().empty());  // a refresh changes nothing about the recording
}

TEST_CASE_METHOD(RecorderWithShortTimers, "A session interval below our Min-SE gets 422 with Min-SE and starts nothing", "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("invite_session_interval_too_small.xml", port));
  INFO(log.all());
  CHECK(log.contains("422 Session Interval Too Small"));
  CHECK(sink.start_count() == 0);
  CHECK(signalling.session_count() == 0);
}

TEST_CASE_METHOD(RunningRecorder, "A method the recorder does not take gets 405 with Allow", "[siprec]") {
  REQUIRE_SIPP_PASSED(run_sipp("unknown_method.xml", port));
  INFO(log.all());
  CHECK(log.contains("405 to MESSAGE"));
}

TEST_CASE_METHOD(RunningRecorder, "Malformed or hostile or missing metadata and ordinary calls are refused with the right 4xx", "[siprec]") {
  for (const char* scenario : {"invite_bad_metadata.xml", "invite_sdp_only.xml", "invite_not_siprec.xml"}) {
    INFO(scenario);
    REQUIRE_SIPP_PASSED(run_sipp(scenario, port));
  }
  // A billion-laughs style DOCTYPE (nested entities). SIPp reads [...] in a scenario as its
  // own keywords, so the internal subset comes in as the value of -key doctype.
  const std::string doctype =
      "<!DOCTYPE recording [\n<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>";
  REQUIRE_SIPP_PASSED(run_sipp("invite_doctype.xml", port, "u1", {"-key", "doctype", doctype}));
  CHECK(sink.start_count() == 0);
  CHECK(signalling.session_count() == 0);
  INFO(log.all());
  CHECK(log.contains("400 Bad Request"));
  CHECK(log.contains("488 Not Acceptable Here"));
  // Other calls are unaffected.
  REQUIRE_SIPP_PASSED(run_sipp("siprec_call.xml", port));
  CHECK(sink.wait_for([&] { return sink.ends_.size() == 1; }));
}

TEST_CASE_METHOD(RunningRecorder, "Garbage datagrams do not hurt the recorder and the next call still works", "[siprec]") {
  // SIPp sends only well-formed SIP, so these go through a raw UDP socket.
  send_udp(port, std::string("\x00\xff\x13garbage\r\n\r\n", 14));
  send_udp(port, "INVITE sip:x SIP/2.0\r\nVia: nonsense\r\nContent-Length: 99999\r\n\r\nabc");
  send_udp(port, "SIP/2.0 200 OK\r\n\r\n");
  send_udp(port, std::string(1400, 'A'));
  send_udp(port,
           "INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx1\r\n"
           "From: <sip:a@b>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: g1\r\nCSeq: 1 INVITE\r\nRequire: siprec\r\n"
           "Content-Type: multipart/mixed;boundary=b\r\nContent-Length: 20\r\n\r\n--b\r\ntruncated-body");
  REQUIRE_SIPP_PASSED(run_sipp("siprec_call.xml", port));
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  CHECK(sink.start_count() == 1);
}

TEST_CASE("A request from a source outside the allow list gets 403 and a log line", "[siprec]") {
  RecordingSessionSink sink;
  LogLines log;
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecConfig config = test_config(port);
  config.allow = {"192.0.2.0/24"};  // SIPp calls from 127.0.0.1
  SiprecSignalling signalling(config, sink, log.callback());
  signalling.start();
  REQUIRE_SIPP_PASSED(run_sipp("invite_forbidden.xml", port));
  CHECK(sink.start_count() == 0);
  CHECK(signalling.forbidden_count() >= 1);
  INFO(log.all());
  CHECK(log.contains("403 Forbidden to INVITE from 127.0.0.1"));
  CHECK(log.contains("allow list"));
}

TEST_CASE("A session past the limit gets 503 with Retry-After while the first goes on", "[siprec]") {
  RecordingSessionSink sink;
  LogLines log;
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecConfig config = test_config(port);
  config.max_sessions = 1;
  SiprecSignalling signalling(config, sink, log.callback());
  signalling.start();
  tw::test::BackgroundCommand first(sipp_program(), sipp_arguments("siprec_long_call.xml", port, "u1"), sipp_options());
  REQUIRE(sink.wait_for([&] { return sink.starts_.size() == 1; }));
  CHECK(signalling.session_count() == 1);
  REQUIRE_SIPP_PASSED(run_sipp("invite_busy.xml", port));
  const auto long_call = first.wait();
  REQUIRE_SIPP_PASSED(long_call);
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  CHECK(sink.start_count() == 1);
  INFO(log.all());
  CHECK(log.contains("503 Service Unavailable"));
}

TEST_CASE_METHOD(RunningRecorder, "Stopping the recorder ends a session in progress with a BYE and tells the sink", "[siprec]") {
  tw::test::BackgroundCommand call(sipp_program(), sipp_arguments("siprec_long_call.xml", port, "u1"), sipp_options());
  REQUIRE(sink.wait_for([&] { return sink.starts_.size() == 1; }));
  signalling.stop();
  const auto ends = sink.ends();
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].second == SessionEndReason::shutdown);
  CHECK(signalling.session_count() == 0);
  // SIPp's scenario did not expect our BYE: its call fails, as it should.
  CHECK(call.wait().exit_code != 0);
}

TEST_CASE("A bad configuration or a port in use is refused naming the problem and stop is idempotent", "[siprec]") {
  RecordingSessionSink sink;
  LogLines log;
  SiprecConfig bad = test_config(5060);
  bad.udp = false;
  bad.tcp = false;
  CHECK_THROWS_AS(SiprecSignalling(bad, sink, log.callback()), std::invalid_argument);
  bad = test_config(5060);
  bad.allow = {"nonsense"};
  CHECK_THROWS_WITH(SiprecSignalling(bad, sink, log.callback()), Catch::Contains("nonsense"));
  bad = test_config(5060);
  bad.listen_address = "not-an-address";
  SiprecSignalling unbindable(bad, sink, log.callback());
  CHECK_THROWS_WITH(unbindable.start(), Catch::Contains("not-an-address"));
  // Two recorders on one port: the second cannot listen and says where.
  const std::uint16_t port = tw::test::free_sip_port();
  SiprecSignalling first(test_config(port), sink, log.callback());
  first.start();
  SiprecSignalling second(test_config(port), sink, log.callback());
  CHECK_THROWS_WITH(second.start(), Catch::Contains(std::to_string(port)));
  first.stop();
  first.stop();  // idempotent
}

TEST_CASE("Port 0 gets one port for UDP and TCP even when the UDP port the system picks is some TCP socket's", "[siprec]") {
  // Half the ephemeral range taken by TCP listeners on the recorder's address: the UDP port
  // the kernel picks for port 0 is then already a TCP port half the time, and the recorder
  // must try another pair rather than fail (the CI failure of 2026-12-06 was one such pick).
  // The recorder's own sockets are then numbered past 14,000, past libre's default bound of
  // 1,024 watched descriptors, as in a serve process with hundreds of calls.
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  const std::size_t wanted = 14000;
  INFO("the open-file limit here is " << files.rlim_cur << "; the test needs " << wanted + 1000);
  REQUIRE(files.rlim_cur >= wanted + 1000);
  // Closed however the test ends (a failed REQUIRE throws past the end).
  struct HeldSockets {
    std::vector<int> fds;
    ~HeldSockets() {
      for (const int fd : fds) ::close(fd);
    }
  } held;
  std::vector<int>& taken = held.fds;
  taken.reserve(wanted);
  for (std::size_t i = 0; i < wanted; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 1) != 0) {
      ::close(fd);
      break;
    }
    taken.push_back(fd);
  }
  INFO(taken.size() << " TCP ports held");
  CHECK(taken.size() > wanted / 2);
  RecordingSessionSink sink;
  LogLines log;
  // Ten starts: with about half the picks colliding, all ten succeeding by luck has odds of
  // about 1 in 1,000 without the retry, and each start gives up only after 32 collisions.
  for (int i = 0; i < 10; ++i) {
    INFO("start " << i);
    SiprecSignalling recorder(test_config(0), sink, log.callback());
    REQUIRE_NOTHROW(recorder.start());
    CHECK(recorder.port() != 0);
    recorder.stop();
  }
}

namespace {

// The two-stream INVITE body of siprec_call.xml, as SIPp sends it (SDP and RFC 7865
// metadata in multipart/mixed, boundary "foobar"), with SIPp's keywords filled in.
std::string scenario_invite_body() {
  std::ifstream in(tw::build::source_dir() + "/tests/siprec/scenarios/siprec_call.xml");
  const std::string xml((std::istreambuf_iterator<char>(in)), {});
  const std::size_t from = xml.find("--foobar");
  const std::size_t to = xml.find("--foobar--", from);
  REQUIRE((from != std::string::npos && to != std::string::npos));
  std::string body = xml.substr(from, to + 10 - from) + "\n";
  for (std::size_t at; (at = body.find("[local_ip]")) != std::string::npos;) body.replace(at, 10, "127.0.0.1");
  std::string crlf;  // SIP bodies here use CRLF line ends, as SIPp sends them
  for (const char c : body) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  return crlf;
}

// A SIP client over TLS (Debian's SIPp is built without TLS): one connection, requests
// written whole, responses read up to the end of their body.
class TlsSipClient {
 public:
  explicit TlsSipClient(std::uint16_t port) : context_(boost::asio::ssl::context::tls_client), stream_(io_, context_) {
    stream_.set_verify_mode(boost::asio::ssl::verify_none);  // a self-signed test certificate
    stream_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    stream_.handshake(boost::asio::ssl::stream_base::client);
    local_port_ = stream_.next_layer().local_endpoint().port();
  }
  std::uint16_t local_port() const { return local_port_; }
  void send(const std::string& request) { boost::asio::write(stream_, boost::asio::buffer(request)); }
  // The next response: its head and body (Content-Length bytes).
  std::string receive() {
    for (;;) {
      const std::size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        const std::size_t cl = buffer_.find("Content-Length:");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(buffer_.substr(cl + 15));
        if (buffer_.size() >= head_end + 4 + length) {
          std::string message = buffer_.substr(0, head_end + 4 + length);
          buffer_.erase(0, message.size());
          // Provisional answers are skipped: the tests want the final one.
          if (message.rfind("SIP/2.0 1", 0) == 0) continue;
          return message;
        }
      }
      char chunk[4096];
      const std::size_t n = stream_.read_some(boost::asio::buffer(chunk));
      buffer_.append(chunk, n);
    }
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  std::string buffer_;
  std::uint16_t local_port_ = 0;
};

std::string header_value(const std::string& message, const std::string& name) {
  const std::size_t at = message.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  const std::size_t start = message.find_first_not_of(' ', at + name.size() + 3);
  return message.substr(start, message.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("SIP over TLS: OPTIONS is answered and a SIPREC INVITE then ACK and BYE on one TLS connection make a session",
          "[siprec][security]") {
  const std::string dir = tw::test::scratch_dir() + "/siprec-tls";
  std::filesystem::create_directories(dir);
  const auto made = tw::test::run_command("/usr/bin/openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                                               dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "1",
                                                               "-subj", "/CN=localhost"});
  REQUIRE(made.exit_code == 0);
  RecordingSessionSink sink;
  LogLines log;
  SiprecConfig config = test_config(0);
  config.tcp = false;
  config.tls_cert_file = dir + "/cert.pem";
  config.tls_key_file = dir + "/key.pem";
  config.tls_port = 0;
  SiprecSignalling signalling(config, sink, log.callback());
  signalling.start();
  REQUIRE(signalling.tls_port() != 0);
  INFO(log.all());

  TlsSipClient client(signalling.tls_port());
  const std::string us = "127.0.0.1:" + std::to_string(client.local_port());
  const std::string srs = "sip:srs@127.0.0.1:" + std::to_string(signalling.tls_port()) + ";transport=tls";
  auto request = [&](const std::string& method, const std::string& uri, int cseq, const std::string& branch,
                     const std::string& to_tag, const std::string& extra, const std::string& body) {
    return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/TLS " + us + ";branch=z9hG4bK" + branch +
           "\r\nFrom: <sip:src@127.0.0.1>;tag=src1\r\nTo: <sip:srs@127.0.0.1>" + (to_tag.empty() ? "" : ";tag=" + to_tag) +
           "\r\nCall-ID: tls-call-1\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\nMax-Forwards: 70\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  client.send(request("OPTIONS", srs, 1, "opt1", "", "", ""));
  const std::string options = client.receive();
  CHECK(options.rfind("SIP/2.0 200", 0) == 0);
  CHECK(header_value(options, "Allow").find("INVITE") != std::string::npos);

  const std::string body = scenario_invite_body();
  client.send(request("INVITE", srs, 2, "inv1", "",
                      "Contact: <sip:src@" + us + ";transport=tls>;+sip.src\r\nRequire: siprec\r\n"
                      "Content-Type: multipart/mixed;boundary=foobar\r\n",
                      body));
  const std::string answer = client.receive();
  REQUIRE(answer.rfind("SIP/2.0 200", 0) == 0);
  CHECK(answer.find("a=recvonly") != std::string::npos);
  const std::string contact = header_value(answer, "Contact");
  CHECK(contact.find(";transport=tls") != std::string::npos);
  CHECK(contact.find("+sip.srs") != std::string::npos);
  const std::string to = header_value(answer, "To");
  const std::string to_tag = to.substr(to.find("tag=") + 4);
  const std::string target = contact.substr(contact.find('<') + 1, contact.find('>') - contact.find('<') - 1);
  client.send(request("ACK", target, 2, "ack1", to_tag, "", ""));
  REQUIRE(sink.wait_for([&] { return sink.starts_.size() == 1; }));
  check_two_stream_session(sink.starts()[0], "tls");

  client.send(request("BYE", target, 3, "bye1", to_tag, "", ""));
  CHECK(client.receive().rfind("SIP/2.0 200", 0) == 0);
  REQUIRE(sink.wait_for([&] { return sink.ends_.size() == 1; }));
  CHECK(sink.ends()[0].second == SessionEndReason::bye);
}
