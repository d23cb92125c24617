// `tonewatch serve --siprec` end to end (issue 24): SIPp, a SIP client nobody here wrote,
// is the session border controller (the SRC) with the scenarios in
// tests/siprec/scenarios/; the test sends the example call's two channels as PCMU RTP to
// the ports the server's answer named (what the SBC's media path would do), and the
// call's outputs are compared with batch analysis of the same audio.

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/default_model.h"
#include "batch/call_job.h"
#include "build_paths.h"
#include "dsp/g711.h"
#include "support/external_tools.h"
#include "support/rtp_call.h"
#include "support/run_command.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/sipp.h"
#include "support/udp_sender.h"

using namespace std::chrono_literals;

namespace {

nlohmann::json summary_of(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// The server's log line for a session's start: its call id and the RTP ports it answered.
struct StartedSession {
  std::string call;
  std::array<std::uint16_t, 2> ports{};  // caller, agent
};
StartedSession wait_for_session(const tw::test::ServeProcess& serve, double timeout_s) {
  const std::regex started(R"(is call (\S+), RTP ports caller=(\d+) agent=(\d+))");
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    const std::string err = serve.err();
    std::smatch m;
    if (std::regex_search(err, m, started)) {
      return {m[1], {static_cast<std::uint16_t>(std::stoi(m[2])), static_cast<std::uint16_t>(std::stoi(m[3]))}};
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL("no SIPREC session started in " << timeout_s << " s; serve said:\n" << serve.err());
  return {};
}

bool wait_for_log(const tw::test::ServeProcess& serve, const std::string& text, double timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (serve.err().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The batch events of the example call, analysed in this process (the same code as
// `tonewatch analyze`).
std::vector<nlohmann::json> batch_events() {
  static const tw::detect::AgitationModel model = tw::app::load_agitation_model();
  tw::batch::CallJobOptions job;
  job.model = &model;
  job.output.dir = tw::test::fresh_dir("serve-siprec-batch");
  REQUIRE(tw::batch::analyze_call(tw::build::source_dir() + "/examples/example_call.wav", "example", job).status ==
          tw::batch::CallResult::Status::analysed);
  return tw::test::read_events(job.output.dir + "/example.events.jsonl");
}

// Each test its own --rtp-ports range, below Linux's ephemeral range (32768-60999), so
// that no socket of a test running alongside holds one of its ports.
std::vector<std::string> serve_arguments(const std::string& rtp_ports) {
  // --leg-buffer-s: RTP comes at ten times real time, and a busy CI machine must not make
  // the analysis drop frames behind it (drops are the leg tests' subject, not these).
  return {"--siprec", "127.0.0.1:0", "--rtp-ports", rtp_ports, "--siprec-agent", "sip:*@agents.biloxi.example.com",
          "--leg-buffer-s", "30", "--quiet"};
}

// The tests send RTP at ten times real time.
constexpr double kSpeed = 10.0;

// SIPp running a media scenario (its <pause/> lasts -d ms) against `serve`: the session is
// held for the time the call's RTP takes at kSpeed and `slack_ms` more, then SIPp sends BYE.
// Also the session the server started for it, and how to play the call's RTP to it.
struct SippMediaCall {
  SippMediaCall(const tw::test::ServeProcess& serve, const std::string& scenario, const tw::test::PcmuCall& call,
                int slack_ms)
      : sipp(tw::test::sipp_program(),
             tw::test::sipp_arguments(scenario, serve.siprec_port(), "u1",
                                      {"-d", std::to_string(rtp_ms(call) + slack_ms), "-timeout", "60s"}),
             tw::test::sipp_options()),
        session(wait_for_session(serve, 10.0)) {}
  static int rtp_ms(const tw::test::PcmuCall& call) {
    return static_cast<int>(static_cast<double>(call.packets()) * 20.0 / kSpeed);
  }
  tw::test::RtpPlay play() const {
    tw::test::RtpPlay p;
    p.ports = session.ports;
    p.speed = kSpeed;
    return p;
  }
  tw::test::BackgroundCommand sipp;
  StartedSession session;
};

// The live events against batch's on the same audio: the two streams' first datagrams
// arrive microseconds apart, so the tracks line up within a sample or a few: the same
// events, at the same times within two hops.
void check_events_match(const std::vector<nlohmann::json>& live, const std::vector<nlohmann::json>& expected) {
  REQUIRE(live.size() == expected.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    INFO("event " << i << ": " << live[i].dump());
    CHECK(live[i]["type"] == expected[i]["type"]);
    CHECK(live[i].value("speaker", "") == expected[i].value("speaker", ""));
    CHECK(live[i]["time_s"].get<double>() == Approx(expected[i]["time_s"].get<double>()).margin(0.021));
  }
}

#define REQUIRE_SIPP_PASSED(result)                                             \
  do {                                                                          \
    const tw::test::CommandResult& sipp_ = (result);                            \
    INFO("sipp stdout:\n" << sipp_.out << "\nsipp stderr:\n" << sipp_.err);     \
    REQUIRE(sipp_.exit_code == 0);                                              \
  } while (false)

}  // namespace

TEST_CASE("serve --siprec: SIPp's recording session with the example call as RTP gives the batch events",
          "[serve][siprec][e2e]") {
  const std::vector<nlohmann::json> expected = batch_events();
  REQUIRE(expected.size() >= 5);
  const tw::test::PcmuCall call = tw::test::example_call_pcmu();
  const std::string out = tw::test::fresh_dir("serve-siprec-call");
  tw::test::ServeProcess serve(out, serve_arguments("31000-31099"));
  REQUIRE(serve.siprec_port() != 0);

  // The BYE comes 4 s after the RTP.
  SippMediaCall sipp(serve, "siprec_media_call.xml", call, 4000);
  const StartedSession& session = sipp.session;
  tw::test::play_pcmu(call, sipp.play());
  REQUIRE_SIPP_PASSED(sipp.sipp.wait());
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {session.call}, 30.0));

  INFO(serve.err());
  check_events_match(tw::test::read_events(out + "/" + session.call + ".events.jsonl"), expected);
  const auto summary = summary_of(out + "/" + session.call + ".summary.json");
  CHECK(summary["input"]["format"] == "siprec live stream");
  CHECK(summary["input"]["lost_frames"] == 0);
  CHECK(summary["duration_s"].get<double>() == Approx(static_cast<double>(call.caller.size()) / 8000.0).margin(0.05));
  // Who is who, from the RFC 7865 metadata: Alice (label 1) the caller, Bob an agent by
  // the --siprec-agent pattern.
  const auto& metadata = summary["input"]["metadata"];
  CHECK_FALSE(metadata["sip_call_id"].get<std::string>().empty());
  REQUIRE(metadata["participants"].size() == 2);
  CHECK(metadata["participants"][0]["role"] == "caller");
  CHECK(metadata["participants"][0]["name"] == "Alice");
  CHECK(metadata["participants"][1]["role"] == "agent");
  CHECK(metadata["participants"][1]["aor"] == "sip:bob@agents.biloxi.example.com");
  CHECK(metadata["participants"][1]["basis"] == "agent_pattern");
  // The SBC's vendor data (here an Oracle/Acme Packet SBC's): the session's UCID for the
  // call, the calling-party flag on the participant who sent it, nothing on the other.
  CHECK(metadata["sbc_data"]["ucid"] == "00FA080018803B69810C2D;encoding=hex");
  CHECK(metadata["sbc_data"]["callerOrig"] == "true");
  CHECK(metadata["participants"][0]["sbc_data"]["callingParty"] == "true");
  CHECK_FALSE(metadata["participants"][1].contains("sbc_data"));

  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_sessions_started_total") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_sessions_active") == 0);
  CHECK(tw::test::metric_value(metrics, "tonewatch_rtp_lost_packets_total") == 0);
  CHECK(tw::test::metric_value(metrics, "tonewatch_udp_datagrams_total") == static_cast<double>(2 * call.packets()));
  CHECK(tw::test::metric_value(metrics, "tonewatch_rtp_port_pairs_open") == 0);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --siprec: a 30 s hold is a declared pause of exactly its length and a metadata update renames the agent",
          "[serve][siprec][e2e]") {
  const tw::test::PcmuCall call = tw::test::example_call_pcmu();
  const std::string out = tw::test::fresh_dir("serve-siprec-hold");
  tw::test::ServeProcess serve(out, serve_arguments("31100-31199"));
  REQUIRE(serve.siprec_port() != 0);
  // siprec_media_hold.xml: 6 s after the ACK, both streams a=inactive (and Bob renamed
  // Robert); 3 s later resumed; BYE 9 s after that. The SRC's clock runs on during the
  // hold: the resumed packets' timestamps are 30 s on (RFC 3550 §5.1), though at ten
  // times real time only 3 s passed.
  tw::test::BackgroundCommand sipp(
      tw::test::sipp_program(),
      tw::test::sipp_arguments("siprec_media_hold.xml", serve.siprec_port(), "u1", {"-timeout", "60s"}),
      tw::test::sipp_options());
  const StartedSession session = wait_for_session(serve, 10.0);
  constexpr std::size_t kSplit = 1500;  // 30 s of audio before the hold
  constexpr std::uint32_t kHoldTicks = 30 * 8000;
  tw::test::RtpPlay play;
  play.ports = session.ports;
  play.speed = kSpeed;
  play.end_packet = kSplit;
  tw::test::play_pcmu(call, play);
  REQUIRE(wait_for_log(serve, "on hold (a declared pause", 10.0));
  REQUIRE(wait_for_log(serve, "resumed", 10.0));
  play.first_packet = kSplit;
  play.end_packet = call.packets();
  play.timestamp_offset = kHoldTicks;
  tw::test::play_pcmu(call, play);
  REQUIRE_SIPP_PASSED(sipp.wait());
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {session.call}, 30.0));

  INFO(serve.err());
  const auto summary = summary_of(out + "/" + session.call + ".summary.json");
  INFO(summary["input"].dump());
  const double audio_s = static_cast<double>(call.caller.size()) / 8000.0;
  // Stream time is exact: the call is its audio and the 30 s hold, the hold declared
  // (paused) on both tracks and nothing lost.
  CHECK(summary["duration_s"].get<double>() == Approx(audio_s + 30.0).margin(0.05));
  // Declared time: the hold on both tracks, and the one stream's start offset behind the
  // other's first packet (not sent yet: a few samples, under a packet).
  CHECK(summary["input"]["paused_frames"].get<std::uint64_t>() >= 2 * kHoldTicks);
  CHECK(summary["input"]["paused_frames"].get<std::uint64_t>() < 2 * kHoldTicks + 160);
  CHECK(summary["input"]["lost_frames"] == 0);
  CHECK(summary["input"]["metadata"]["participants"][1]["name"] == "Robert");
  // A hold is not dead air: no dead-air event opens within it.
  const double hold_from = kSplit * 0.02, hold_to = hold_from + 30.0;
  for (const auto& event : tw::test::read_events(out + "/" + session.call + ".events.jsonl")) {
    INFO(event.dump());
    const std::string type = event["type"];
    const double t = event["time_s"];
    if (type.find("dead_air") != std::string::npos) CHECK_FALSE((t > hold_from && t < hold_to));
  }
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_holds_total") == 2);
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_metadata_updates_total") == 2);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --siprec: a session whose RTP never comes ends with the recorder's BYE / garbage on the SIP and RTP "
          "ports leaves a call streaming alongside unaffected",
          "[serve][siprec][e2e][security]") {
  const tw::test::PcmuCall call = tw::test::example_call_pcmu();
  const std::string out = tw::test::fresh_dir("serve-siprec-idle");
  std::vector<std::string> arguments = serve_arguments("31200-31299");
  // JSON logs: the garbage's diagnostics must come as JSON lines too, not as the SIP stack's text.
  arguments.insert(arguments.end(), {"--idle-timeout", "3", "--log-format", "json"});
  tw::test::ServeProcess serve(out, arguments);
  REQUIRE(serve.siprec_port() != 0);
  // A call with media: the example at ten times real time, its BYE 1.5 s after the RTP
  // ends (under the 3 s idle timeout).
  SippMediaCall good(serve, "siprec_media_call.xml", call, 1500);
  const StartedSession& session = good.session;
  // Beside it, a session that never sends RTP: the recorder sends BYE after 3 s, which
  // SIPp's scenario requires (it fails on anything else, or on no BYE in 15 s).
  tw::test::BackgroundCommand idle(tw::test::sipp_program(),
                                   tw::test::sipp_arguments("siprec_idle.xml", serve.siprec_port(), "u1", {"-timeout", "60s"}),
                                   tw::test::sipp_options());
  // Garbage: on the SIP port, and on the good call's RTP and RTCP ports mid-call.
  tw::test::UdpSender garbage;
  const std::vector<std::uint8_t> junk = {0x00, 0xff, 'I', 'N', 'V', 'I', 'T', 'E', 0x0d, 0x0a, 0x7f};
  garbage.send(serve.siprec_port(), junk);
  tw::test::RtpPlay play = good.play();
  play.end_packet = call.packets() / 2;
  tw::test::play_pcmu(call, play);
  for (int i = 0; i < 3; ++i) {
    garbage.send(session.ports[0], junk);
    garbage.send(static_cast<std::uint16_t>(session.ports[1] + 1), junk);
  }
  play.first_packet = play.end_packet;
  play.end_packet = call.packets();
  tw::test::play_pcmu(call, play);
  REQUIRE_SIPP_PASSED(idle.wait());
  REQUIRE_SIPP_PASSED(good.sipp.wait());
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {session.call}, 30.0));
  INFO(serve.err());
  CHECK(serve.err().find("no RTP for") != std::string::npos);

  // The good call is whole: its audio, nothing lost, and the garbage counted, not analysed.
  const auto summary = summary_of(out + "/" + session.call + ".summary.json");
  CHECK(summary["duration_s"].get<double>() == Approx(static_cast<double>(call.caller.size()) / 8000.0).margin(0.05));
  CHECK(summary["input"]["lost_frames"] == 0);
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_idle_timeouts_total") == 1);
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_sessions_started_total") == 2);
  CHECK(tw::test::metric_value(metrics, "tonewatch_rtp_malformed_total") == 6);
  CHECK(tw::test::metric_value(metrics, "tonewatch_siprec_undecodable_total") == 1);
  // Every line on stderr is a JSON object (the start line, warnings, the SIP stack's
  // diagnostic as a siprec_warning), none of libre's bare "sip: msg decode err".
  std::istringstream lines(serve.err());
  std::size_t line_count = 0;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(nlohmann::json::parse(line, nullptr, false).is_object());
    ++line_count;
  }
  CHECK(line_count > 0);
  CHECK(serve.err().find("siprec: libre: sip: msg decode err") != std::string::npos);
  CHECK(tw::test::metric_value(metrics, "tonewatch_rtp_port_pairs_open") == 0);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --siprec: SRTP streams keyed by SDES are decrypted and give the batch events / forged packets are dropped",
          "[serve][siprec][e2e][security]") {
  const std::vector<nlohmann::json> expected = batch_events();
  const tw::test::PcmuCall call = tw::test::example_call_pcmu();
  const std::string out = tw::test::fresh_dir("serve-siprec-srtp");
  tw::test::ServeProcess serve(out, serve_arguments("31300-31399"));
  REQUIRE(serve.siprec_port() != 0);
  // siprec_media_srtp.xml offers RTP/SAVP with these keys (the caller's suite _80, the agent's _32).
  SippMediaCall sipp(serve, "siprec_media_srtp.xml", call, 4000);
  const StartedSession& session = sipp.session;
  tw::test::SrtpSender caller("AES_CM_128_HMAC_SHA1_80", "tonewatch-srtp-test-key-caller");
  tw::test::SrtpSender agent("AES_CM_128_HMAC_SHA1_32", "tonewatch-srtp-test-key-agent!");
  tw::test::RtpPlay play = sipp.play();
  play.protect = [&](int stream, std::vector<std::uint8_t>& packet) { (stream == 0 ? caller : agent).protect(packet); };
  // Mid-call, three packets someone without the key made (a valid header, a made-up tag).
  play.end_packet = call.packets() / 2;
  tw::test::play_pcmu(call, play);
  tw::test::UdpSender forger;
  for (std::uint16_t k = 0; k < 3; ++k) {
    std::vector<std::uint8_t> forged = tw::test::pcmu_rtp_packet(static_cast<std::uint16_t>(30000 + k), 123456u, 0x1234,
                                                                  call.caller.data(), 160);
    forged.insert(forged.end(), 10, 0xAB);
    forger.send(session.ports[0], forged);
  }
  play.first_packet = play.end_packet;
  play.end_packet = call.packets();
  tw::test::play_pcmu(call, play);
  REQUIRE_SIPP_PASSED(sipp.sipp.wait());
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {session.call}, 30.0));
  INFO(serve.err());
  check_events_match(tw::test::read_events(out + "/" + session.call + ".events.jsonl"), expected);
  const auto summary = summary_of(out + "/" + session.call + ".summary.json");
  CHECK(summary["input"]["lost_frames"] == 0);
  CHECK(summary["duration_s"].get<double>() == Approx(static_cast<double>(call.caller.size()) / 8000.0).margin(0.05));
  const auto metrics = tw::test::http_request(serve.http_port(), "GET", "/metrics").body;
  CHECK(tw::test::metric_value(metrics, "tonewatch_srtp_refused_total") == 3);
  CHECK(tw::test::metric_value(metrics, "tonewatch_rtp_malformed_total") == 0);
  CHECK(serve.stop(SIGTERM) == 0);
}

TEST_CASE("serve --siprec: a G.722 caller and a PCMU agent in one call are analysed at 8 kHz with nothing lost",
          "[serve][siprec][e2e][g722]") {
  const std::vector<nlohmann::json> expected = batch_events();
  tw::test::PcmuCall call = tw::test::example_call_pcmu();
  // The caller's channel as G.722 (ffmpeg's encoder, at 16 kHz from the 8 kHz audio):
  // 160 octets per 20 ms, one per RTP tick, as the PCMU channel has.
  const std::string dir = tw::test::fresh_dir("serve-siprec-mixed-audio");
  {
    std::vector<std::int16_t> pcm(call.caller.size());
    for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = tw::dsp::mulaw_to_linear(call.caller[i]);
    std::ofstream(dir + "/caller.raw", std::ios::binary)
        .write(reinterpret_cast<const char*>(pcm.data()), static_cast<std::streamsize>(pcm.size() * 2));
  }
  tw::test::run_ffmpeg({"-f", "s16le", "-ar", "8000", "-ac", "1", "-i", dir + "/caller.raw", "-ar", "16000", "-c:a", "g722",
                        "-f", "g722", dir + "/caller.g722"});
  std::ifstream coded(dir + "/caller.g722", std::ios::binary);
  std::vector<std::uint8_t> g722((std::istreambuf_iterator<char>(coded)), {});
  REQUIRE(g722.size() >= call.caller.size() - 160);
  g722.resize(call.caller.size(), g722.back());
  call.caller = g722;

  const std::string out = tw::test::fresh_dir("serve-siprec-mixed");
  tw::test::ServeProcess serve(out, serve_arguments("31400-31499"));
  SippMediaCall sipp(serve, "siprec_media_mixed.xml", call, 4000);
  const StartedSession& session = sipp.session;
  tw::test::RtpPlay play = sipp.play();
  play.payload_types = {9, 0};
  tw::test::play_pcmu(call, play);
  REQUIRE_SIPP_PASSED(sipp.sipp.wait());
  REQUIRE(tw::test::wait_for_calls_ended(serve.http_port(), {session.call}, 30.0));
  INFO(serve.err());
  CHECK(serve.err().find("format=8000 Hz") != std::string::npos);
  const auto summary = summary_of(out + "/" + session.call + ".summary.json");
  CHECK(summary["input"]["lost_frames"] == 0);
  CHECK(summary["duration_s"].get<double>() == Approx(static_cast<double>(call.agent.size()) / 8000.0).margin(0.05));
  // The caller's voice went through a wideband codec and back to the telephone band: what
  // the supervisor sees is still the call's story, the same events as batch on the
  // G.711 original, within a second (the decisions are per second; measured: 11 of 13 at
  // the same time, two interruptions a hop apart).
  const auto live = tw::test::read_events(out + "/" + session.call + ".events.jsonl");
  REQUIRE(live.size() == expected.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    INFO("event " << i << ": " << live[i].dump() << " against " << expected[i].dump());
    CHECK(live[i]["type"] == expected[i]["type"]);
    CHECK(live[i]["time_s"].get<double>() == Approx(expected[i]["time_s"].get<double>()).margin(1.0));
  }
  CHECK(serve.stop(SIGTERM) == 0);
}
