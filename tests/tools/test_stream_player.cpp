// The stream player end to end: it plays a WAV to a loopback server on real
// sockets, and the server feeds each connection to the product's protocol
// adapter. The player and the adapters share no code (each is its own reading
// of the platform's specification), so agreement on every sample checks both.

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <sndfile.h>

#include "dsp/g711.h"
#include "support/recording_sink.h"
#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/test_wav.h"
#include "telephony/audiohook_adapter.h"
#include "telephony/audiosocket_adapter.h"
#include "telephony/generic_stream_adapter.h"
#include "telephony/http_signature.h"
#include "telephony/twilio_stream_adapter.h"
#include "build_paths.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using namespace tw::telephony;
using tw::test::RecordingSink;

std::string player_binary() {
  const std::string path = tw::build::binary_dir() + "/tools/stream_player/stream_player";
  if (!std::filesystem::exists(path)) FAIL("stream_player not built at " << path);
  return path;
}

// A stereo test call: a caller tone on the left, an agent tone on the right.
struct TestCall {
  std::string path;
  std::vector<std::int16_t> caller, agent;
};

TestCall make_call(int rate_hz, double seconds) {
  TestCall call;
  call.path = tw::test::scratch_dir() + "/player_call_" + std::to_string(rate_hz) + ".wav";
  const auto frames = static_cast<std::size_t>(seconds * rate_hz);
  std::vector<float> interleaved;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    interleaved.push_back(static_cast<float>(0.5 * std::sin(2 * M_PI * 220.0 * t) * (0.5 + 0.5 * std::sin(2 * M_PI * 3 * t))));
    interleaved.push_back(static_cast<float>(-0.3 * std::sin(2 * M_PI * 610.0 * t)));
  }
  tw::test::write_wav_pcm16(call.path, interleaved, 2, rate_hz);
  SF_INFO info{};
  SNDFILE* file = sf_open(call.path.c_str(), SFM_READ, &info);
  REQUIRE(file != nullptr);
  std::vector<short> samples(static_cast<std::size_t>(info.frames) * 2);
  sf_readf_short(file, samples.data(), info.frames);
  sf_close(file);
  for (std::size_t i = 0; i < samples.size(); i += 2) {
    call.caller.push_back(samples[i]);
    call.agent.push_back(samples[i + 1]);
  }
  return call;
}

std::vector<float> linear(const std::vector<std::int16_t>& s) {
  std::vector<float> out;
  for (const auto v : s) out.push_back(static_cast<float>(v) / 32768.0f);
  return out;
}

// What a µ-law hop does to a sample, by the product's G.711 (the player encodes with its own).
std::vector<float> through_mulaw(const std::vector<std::int16_t>& s) {
  std::vector<float> out;
  for (const auto v : s) out.push_back(static_cast<float>(tw::dsp::mulaw_to_linear(tw::dsp::linear_to_mulaw(v))) / 32768.0f);
  return out;
}

std::vector<float> interleave(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    out.push_back(a[i]);
    out.push_back(b[i]);
  }
  return out;
}

// Loopback server: accepts `connections` connections on one port and runs each through
// a fresh adapter of the protocol, on its own thread. Never uses Catch (other threads).
class LoopbackServer {
 public:
  enum class Kind { twilio, generic, audiohook, audiosocket_caller, audiosocket_agent };
  struct Connection {
    RecordingSink sink;
    AdapterCounters counters;
    HttpHeaders headers;
    std::string target;
    std::string refused;  // why the server refused the upgrade, if it did
  };

  LoopbackServer(Kind kind, int connections, AudioHookAuthConfig auth = {})
      : kind_(kind), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), auth_(std::move(auth)) {
    for (int i = 0; i < connections; ++i) connections_.push_back(std::make_unique<Connection>());
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (thread_.joinable()) thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  Connection& connection(std::size_t i) { return *connections_.at(i); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve() {
    std::vector<std::thread> workers;
    for (auto& c : connections_) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) break;
      workers.emplace_back([this, s = std::move(socket), conn = c.get()]() mutable { handle(std::move(s), *conn); });
    }
    for (auto& w : workers) w.join();
  }

  void handle(tcp::socket socket, Connection& c) {
    try {
      if (kind_ == Kind::audiosocket_caller || kind_ == Kind::audiosocket_agent) return handle_tcp(std::move(socket), c);
      beast::flat_buffer buffer;
      beast::http::request<beast::http::string_body> request;
      beast::http::read(socket, buffer, request);
      c.target = std::string(request.target());
      for (const auto& field : request) c.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      if (kind_ == Kind::audiohook) {
        const auto verdict = verify_audiohook_request({"GET", c.target, std::string(request[beast::http::field::host])},
                                                      c.headers, auth_, std::time(nullptr));
        if (!verdict.ok) {
          c.refused = verdict.reason;
          beast::http::response<beast::http::string_body> response{beast::http::status::unauthorized, request.version()};
          response.body() = verdict.reason;
          response.prepare_payload();
          beast::http::write(socket, response);
          return;
        }
      }
      websocket::stream<tcp::socket> ws(std::move(socket));
      ws.accept(request);
      c.sink.sent.clear();
      auto run = [&](auto& adapter) {
        std::size_t replied = 0;
        for (;;) {
          beast::flat_buffer message;
          boost::system::error_code ec;
          ws.read(message, ec);
          if (ec) {
            adapter.on_disconnect();
            break;
          }
          const auto data = static_cast<const std::uint8_t*>(message.data().data());
          const AdapterStatus status = ws.got_text() ? adapter.on_text(std::string_view(reinterpret_cast<const char*>(data), message.size()))
                                                     : adapter.on_binary(std::span<const std::uint8_t>(data, message.size()));
          for (; replied < c.sink.sent.size(); ++replied) {
            ws.text(true);
            ws.write(asio::buffer(c.sink.sent[replied]));
          }
          if (status.close) {
            ws.close(websocket::close_reason(static_cast<websocket::close_code>(status.close_code), std::string(status.reason)), ec);
            // Drain until the client's close frame arrives.
            while (!ec) {
              beast::flat_buffer rest;
              ws.read(rest, ec);
            }
            break;
          }
        }
        c.counters = adapter.counters();
      };
      if (kind_ == Kind::twilio) {
        TwilioStreamAdapter adapter(c.sink);
        run(adapter);
      } else if (kind_ == Kind::generic) {
        GenericStreamAdapter adapter(c.sink);
        run(adapter);
      } else {
        AudioHookAdapter adapter(c.sink);
        run(adapter);
      }
    } catch (const std::exception& e) {
      c.refused = std::string("server error: ") + e.what();
    }
  }

  void handle_tcp(tcp::socket socket, Connection& c) {
    AudioSocketAdapter adapter(c.sink, kind_ == Kind::audiosocket_caller ? tw::features::SpeakerRole::caller
                                                                        : tw::features::SpeakerRole::agent);
    std::array<std::uint8_t, 777> buffer;  // an odd size, so messages split across reads
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
      if (ec) {
        adapter.on_disconnect();
        break;
      }
      if (adapter.on_bytes(std::span<const std::uint8_t>(buffer.data(), n)).close) break;
    }
    c.counters = adapter.counters();
  }

  Kind kind_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  AudioHookAuthConfig auth_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("Stream player plays Twilio both tracks on one socket sample-exact through mu-law", "[tools][player]") {
  const auto call = make_call(8000, 2.0);
  LoopbackServer server(LoopbackServer::Kind::twilio, 1);
  const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "twilio", "--port", server.port(),
                                                              "--speed", "0", "--call-id", "CA42"});
  server.join();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  auto& c = server.connection(0);
  REQUIRE(c.sink.starts.size() == 1);
  CHECK(c.sink.starts[0].call_id == "CA42");
  CHECK(c.target == "/twilio");
  CHECK(c.sink.audio[0] == through_mulaw(call.caller));
  CHECK(c.sink.audio[1] == through_mulaw(call.agent));
  CHECK(c.sink.discontinuities == 0);
  CHECK(c.counters.malformed == 0);
  CHECK(c.counters.gap_fill_samples == 0);
  REQUIRE(c.sink.ends.size() == 1);
  CHECK(c.sink.ends[0].first == EndReason::stop);
}

TEST_CASE("Stream player plays Twilio as two one-track streams of the same call", "[tools][player]") {
  const auto call = make_call(8000, 1.0);
  LoopbackServer server(LoopbackServer::Kind::twilio, 2);
  const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "twilio-split", "--port", server.port(), "--speed", "0"});
  server.join();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  std::map<std::string, std::vector<float>> by_track;
  std::set<std::string> calls;
  for (std::size_t i = 0; i < 2; ++i) {
    auto& c = server.connection(i);
    REQUIRE(c.sink.starts.size() == 1);
    REQUIRE(c.sink.starts[0].tracks.size() == 1);
    calls.insert(c.sink.starts[0].call_id);
    by_track[c.sink.starts[0].tracks[0].name] = c.sink.audio[0];
  }
  CHECK(calls.size() == 1);
  CHECK(by_track["inbound"] == through_mulaw(call.caller));
  CHECK(by_track["outbound"] == through_mulaw(call.agent));
}

TEST_CASE("Stream player plays AudioSocket as a caller leg and an agent leg with one UUID", "[tools][player]") {
  const auto call = make_call(16000, 1.0);
  LoopbackServer caller(LoopbackServer::Kind::audiosocket_caller, 1);
  LoopbackServer agent(LoopbackServer::Kind::audiosocket_agent, 1);
  const std::string uuid = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
  const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "audiosocket", "--port", caller.port(),
                                                              "--agent-port", agent.port(), "--call-id", uuid, "--speed", "0"});
  caller.join();
  agent.join();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  for (auto* server : {&caller, &agent}) {
    auto& c = server->connection(0);
    REQUIRE(c.sink.starts.size() == 1);
    CHECK(c.sink.starts[0].call_id == uuid);
    CHECK(c.sink.starts[0].sample_rate_hz == 16000);
    REQUIRE(c.sink.ends.size() == 1);
    CHECK(c.sink.ends[0].first == EndReason::stop);
    CHECK(c.counters.malformed == 0);
  }
  CHECK(caller.connection(0).sink.audio[0] == linear(call.caller));
  CHECK(agent.connection(0).sink.audio[0] == linear(call.agent));
}

TEST_CASE("Stream player plays the generic WebSocket stream as stereo L16 and PCMU", "[tools][player]") {
  for (const std::string encoding : {"L16", "PCMU"}) {
    const auto call = make_call(8000, 1.0);
    LoopbackServer server(LoopbackServer::Kind::generic, 1);
    const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "generic", "--port", server.port(),
                                                                "--encoding", encoding, "--speed", "0", "--call-id", "g-1"});
    server.join();
    INFO(encoding << ": " << result.err);
    CHECK(result.exit_code == 0);
    auto& c = server.connection(0);
    REQUIRE(c.sink.starts.size() == 1);
    CHECK(c.sink.starts[0].call_id == "g-1");
    const auto expected = encoding == "L16" ? interleave(linear(call.caller), linear(call.agent))
                                            : interleave(through_mulaw(call.caller), through_mulaw(call.agent));
    CHECK(c.sink.audio[0] == expected);
    REQUIRE(c.sink.ends.size() == 1);
    CHECK(c.sink.ends[0].first == EndReason::connection_lost);  // the adapter was told nothing of a clean close
  }
}

TEST_CASE("Stream player plays AudioHook with a signed request and the server verifies it", "[tools][player]") {
  const auto call = make_call(8000, 1.0);
  AudioHookAuthConfig auth;
  auth.credentials.push_back({"player-key", "c2VjcmV0LWZvci10aGUtcGxheWVyLXRlc3Q="});
  {
    LoopbackServer server(LoopbackServer::Kind::audiohook, 1, auth);
    const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "audiohook", "--port", server.port(), "--api-key",
                                                                "player-key", "--client-secret", "c2VjcmV0LWZvci10aGUtcGxheWVyLXRlc3Q=",
                                                                "--speed", "0", "--call-id", "5a8f2f3e-1111-4222-8333-944445555666"});
    server.join();
    INFO(result.err);
    CHECK(result.exit_code == 0);
    auto& c = server.connection(0);
    CHECK(c.refused.empty());
    REQUIRE(c.sink.starts.size() == 1);
    CHECK(c.sink.starts[0].call_id == "5a8f2f3e-1111-4222-8333-944445555666");
    CHECK(c.sink.audio[0] == interleave(through_mulaw(call.caller), through_mulaw(call.agent)));
    REQUIRE(c.sink.ends.size() == 1);
    CHECK(c.sink.ends[0].first == EndReason::stop);
    CHECK(c.counters.malformed == 0);
  }
  {  // a wrong secret: the server answers 401 and the player exits non-zero
    LoopbackServer server(LoopbackServer::Kind::audiohook, 1, auth);
    const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "audiohook", "--port", server.port(), "--api-key",
                                                                "player-key", "--client-secret", "d3Jvbmc=", "--speed", "0"});
    server.join();
    CHECK(result.exit_code == 1);
    CHECK(server.connection(0).refused == "signature sig1 does not verify");
  }
}

TEST_CASE("Stream player exits non-zero when the server closes with an error", "[tools][player]") {
  // The player refuses what its protocol cannot carry: Twilio is 8 kHz only.
  const auto call16 = make_call(16000, 0.5);
  CHECK(tw::test::run_command(player_binary(), {call16.path, "--protocol", "twilio", "--port", "1"}).exit_code == 2);
  // A server that takes text only (Twilio) refuses the generic stream's binary audio with 1003.
  const auto call = make_call(8000, 0.5);
  LoopbackServer server(LoopbackServer::Kind::twilio, 1);
  const auto result = tw::test::run_command(player_binary(), {call.path, "--protocol", "generic", "--port", server.port(), "--speed", "0"});
  server.join();
  INFO(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("server close 1003") != std::string::npos);
  // Nobody listening.
  CHECK(tw::test::run_command(player_binary(), {call.path, "--protocol", "generic", "--port", "1", "--timeout", "2"}).exit_code == 1);
}
