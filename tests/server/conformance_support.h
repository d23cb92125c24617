#pragma once
// Shared by the live conformance suites (issue 21), one per protocol: a real
// `tonewatch serve` on loopback sockets, driven by protocol clients written from each
// platform's specification (tests/support), and the checks on what reaches the wire
// and what the server makes of it.

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "stream_player/wire_format.h"
#include "support/audiohook_client.h"
#include "support/generic_stream.h"
#include "support/recording_sink.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/ws_client.h"
#include "telephony/twilio_messages.h"

namespace tw::test::conformance {

using nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* kKey = "key-1";
inline constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";  // base64 of "secret-secret-secret"
inline constexpr const char* kNilConversation = "00000000-0000-0000-0000-000000000000";

inline std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/conformance-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::vector<std::string> audiohook_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--audiohook-key", std::string(kKey) + ":" + kSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

inline json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

// Every server message as the specification shapes it: version "2", the session's
// id, seq counting 1, 2, ... and clientseq the last client seq the server had read.
inline void check_server_messages(const AudioHookClient& client) {
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

// The session's end as the specification has it: close, then the closed reply, then a
// clean WebSocket close (1000), every server message shaped as it should be.
inline void close_cleanly(AudioHookClient& client) {
  REQUIRE(client.send("close", {{"reason", "end"}}));
  CHECK(client.read_until("closed", 5.0));
  CHECK(client.wait_closed(5.0));
  CHECK(client.close_code() == 1000);
  check_server_messages(client);
}

// Opens a session offering PCMU stereo (external = the caller, internal = the agent).
inline void open_stereo(AudioHookClient& client, const std::string& conversation) {
  REQUIRE(client.connected());
  REQUIRE(client.open(conversation, json::array({audiohook_media("PCMU", {"external", "internal"})})));
  REQUIRE(client.read_until("opened", 5.0));
}

// PCMU silence (0xFF is µ-law zero), `frames` stereo frames.
inline std::string pcmu_silence(std::int64_t frames, int channels = 2) {
  return std::string(static_cast<std::size_t>(frames * channels), '\xff');
}

// Frames [first, first + frames) of the example call, its channels (0 = the caller,
// its left; 1 = the agent, its right) interleaved in the order given: µ-law codes, or
// L16 little-endian samples. Every protocol's client here encodes the example this way.
inline std::string example_bytes(const std::vector<int>& channels, bool l16, std::int64_t first, std::int64_t frames) {
  const auto audio_ptr = tw::test::example_call_audio();
  const auto& audio = *audio_ptr;
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(frames) * channels.size() * (l16 ? 2 : 1));
  for (std::int64_t i = first; i < first + frames; ++i) {
    for (const int channel : channels) {
      const std::int16_t v = audio[static_cast<std::size_t>(2 * i + channel)];
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

// Streams frames [first, first + frames) of the example call in 20 ms messages at
// `speed` x real time (the leg's 1 s ring is never the limit at 4x).
inline void stream_example(AudioHookClient& client, std::int64_t first, std::int64_t frames, double speed = 4.0) {
  const auto pace = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(0.02 / speed));
  auto next = std::chrono::steady_clock::now();
  for (std::int64_t at = first; at < first + frames; at += 160) {
    const std::int64_t n = std::min<std::int64_t>(160, first + frames - at);
    REQUIRE(client.send_audio(example_bytes({0, 1}, false, at, n), n));  // PCMU stereo, external (caller) first
    next += pace;
    std::this_thread::sleep_until(next);
  }
}

// A hold as the client declares it: paused at the current position, `frames` of
// stream time without audio, then resumed {start: where the pause began, discarded:
// its length}, as Genesys' own client sends it.
inline void hold(AudioHookClient& client, std::int64_t frames) {
  const std::int64_t start = client.position_samples();
  REQUIRE(client.send("paused"));
  client.advance(frames);
  REQUIRE(client.send("resumed", {{"start", AudioHookClient::duration(start)}, {"discarded", AudioHookClient::duration(frames)}}));
}

// Waits for a call's summary file (the call has ended and its outputs are written).
inline json wait_for_summary(const std::string& path, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) return read_json(path);
    std::this_thread::sleep_for(50ms);
  }
  FAIL("no summary at " << path);
  return {};
}

inline std::vector<json> read_events(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// No dead air opens inside a declared stretch [from_s, to_s].
inline void check_no_dead_air_in(const std::vector<json>& events, double from_s, double to_s) {
  for (const json& e : events) {
    if (e["type"] != "dead_air" || e["state"] != "opened") continue;
    INFO(e.dump());
    CHECK_FALSE((e["time_s"].get<double>() > from_s && e["time_s"].get<double>() <= to_s + 0.01));
  }
}

inline constexpr std::int64_t kRate = 8000;

// An AudioSocket message (Asterisk res_audiosocket: type byte, 16-bit big-endian length, payload).
inline std::string as_message(std::uint8_t type, const std::string& payload) {
  std::string m;
  m += static_cast<char>(type);
  m += static_cast<char>((payload.size() >> 8) & 0xff);
  m += static_cast<char>(payload.size() & 0xff);
  return m + payload;
}

inline std::string uuid_bytes(const std::string& uuid) {
  std::string bytes;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (uuid[i] == '-') continue;
    bytes += static_cast<char>(std::stoi(uuid.substr(i, 2), nullptr, 16));
    ++i;
  }
  return bytes;
}

inline bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Polls /metrics until `sample` has `value` (or timeout); returns the last value seen.
inline double wait_for_metric(std::uint16_t port, const std::string& sample, double value, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  double seen = -1.0;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = tw::test::metric_value(tw::test::http_request(port, "GET", "/metrics").body, sample);
    if (seen == value) break;
    std::this_thread::sleep_for(50ms);
  }
  return seen;
}

// Frames [first, first + frames) of the example call as the offered media carries
// them: each channel named in `channels` ("external" = the caller, the example's
// left; "internal" = the agent, its right), PCMU codes or L16 little-endian samples.
inline std::string example_as(const json& media, std::int64_t first, std::int64_t frames) {
  std::vector<int> channels;
  for (const json& channel : media["channels"]) channels.push_back(channel == "external" ? 0 : 1);
  return example_bytes(channels, media["format"] == "L16", first, frames);
}

inline const json* speaker_of(const json& summary, const std::string& role) {
  for (const json& s : summary["speakers"]) {
    if (s["role"] == role) return &s;
  }
  return nullptr;
}

// A Twilio message for another call: the helpers' messages carry one callSid.
inline std::string for_call(std::string message, const std::string& call_sid) {
  for (std::size_t at = message.find(tw::test::twilio::kCallSid); at != std::string::npos;
       at = message.find(tw::test::twilio::kCallSid, at + call_sid.size())) {
    message.replace(at, tw::test::twilio::kCallSid.size(), call_sid);
  }
  return message;
}

// 20 ms of one channel of the example call (0 = the caller, 1 = the agent), as a
// Twilio media payload: µ-law, base64.
inline std::string twilio_payload(int channel, std::int64_t first) {
  const std::string codes = example_bytes({channel}, false, first, 160);
  return tw::test::base64_encode(std::vector<std::uint8_t>(codes.begin(), codes.end()));
}

}  // namespace tw::test::conformance
