// Genesys AudioHook adapter: the session as the AudioHook protocol documents it
// (open/opened, ping/pong, paused/resumed, discarded, close/closed, the probe),
// media format choice, sequence numbers, and bad input.

#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "dsp/g711.h"
#include "support/allocation_counter.h"
#include "support/recording_sink.h"
#include "telephony/audiohook_adapter.h"

using namespace tw::telephony;
using tw::features::SpeakerRole;
using tw::test::RecordingSink;
using nlohmann::json;

namespace {

const std::string kSession = "e160e428-53e2-487c-977d-96989bf5c99d";
const std::string kConversation = "090eaa2f-72fa-480a-83e0-8667ff89c0ec";
const std::string kNil = "00000000-0000-0000-0000-000000000000";

json offer(const std::string& format, std::vector<std::string> channels, int rate = 8000) {
  return {{"type", "audio"}, {"format", format}, {"channels", channels}, {"rate", rate}};
}

// The three offers of the documentation's open example: stereo, external only, internal only.
json documented_offers() {
  return json::array({offer("PCMU", {"external", "internal"}), offer("PCMU", {"external"}), offer("PCMU", {"internal"})});
}

// A client message; the test keeps seq/serverseq like the Genesys client would.
struct Client {
  std::int64_t seq = 0;
  std::int64_t serverseq = 0;
  std::string message(const std::string& type, const json& parameters, const std::string& position = "PT0S") {
    return json{{"version", "2"}, {"id", kSession}, {"type", type}, {"seq", ++seq}, {"serverseq", serverseq},
                {"position", position}, {"parameters", parameters}}
        .dump();
  }
  std::string open(const std::string& conversation = kConversation, const json& media = documented_offers()) {
    return message("open", {{"organizationId", "d7934305-0972-4844-938e-9060eef73d05"},
                            {"conversationId", conversation},
                            {"participant", {{"id", "883efee8-3d6c-4537-b500-6d7ca4b92fa0"}, {"ani", "+1-555-555-1234"},
                                             {"aniName", "John Doe"}, {"dnis", "+1-800-555-6789"}}},
                            {"media", media},
                            {"language", "en-US"}});
  }
};

std::vector<std::uint8_t> stereo_pcmu(std::size_t frames, std::size_t offset = 0) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = offset; i < offset + frames; ++i) {
    const double t = static_cast<double>(i) / 8000.0;
    out.push_back(tw::dsp::linear_to_mulaw(static_cast<std::int16_t>(std::lround(12000.0 * std::sin(2 * M_PI * 300.0 * t)))));
    out.push_back(tw::dsp::linear_to_mulaw(static_cast<std::int16_t>(std::lround(-7000.0 * std::sin(2 * M_PI * 520.0 * t)))));
  }
  return out;
}

std::vector<float> decoded(const std::vector<std::uint8_t>& codes) {
  std::vector<float> out;
  for (const auto c : codes) out.push_back(static_cast<float>(tw::dsp::mulaw_to_linear(c)) / 32768.0f);
  return out;
}

json last_sent(const RecordingSink& sink) { return json::parse(sink.sent.back()); }

}  // namespace

TEST_CASE("AudioHook session opens with the stereo offer streams audio answers ping and closes cleanly", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  CHECK_FALSE(adapter.on_text(client.open()).close);

  REQUIRE(sink.sent.size() == 1);
  const json opened = last_sent(sink);
  CHECK(opened["version"] == "2");
  CHECK(opened["type"] == "opened");
  CHECK(opened["seq"] == 1);
  CHECK(opened["clientseq"] == 1);
  CHECK(opened["id"] == kSession);
  CHECK(opened["parameters"]["startPaused"] == false);
  CHECK(opened["parameters"]["media"] == json::array({offer("PCMU", {"external", "internal"})}));
  client.serverseq = 1;

  REQUIRE(sink.starts.size() == 1);
  const auto& start = sink.starts[0];
  CHECK(start.protocol == Protocol::audiohook);
  CHECK(start.call_id == kConversation);
  CHECK(start.stream_id == kSession);
  CHECK(start.sample_rate_hz == 8000);
  REQUIRE(start.tracks.size() == 1);
  CHECK(start.tracks[0].channel_roles == std::vector{SpeakerRole::caller, SpeakerRole::agent});
  CHECK(start.metadata["participant"]["ani"] == "+1-555-555-1234");
  CHECK(start.metadata["language"] == "en-US");

  const auto audio = stereo_pcmu(8000);
  for (std::size_t at = 0; at < audio.size(); at += 320) {
    CHECK_FALSE(adapter.on_binary(std::span<const std::uint8_t>(audio).subspan(at, 320)).close);
    if (at == 320 * 10) {
      CHECK_FALSE(adapter.on_text(client.message("ping", json::object(), "PT0.2S")).close);
      const json pong = last_sent(sink);
      CHECK((pong["type"] == "pong" && pong["seq"] == 2 && pong["clientseq"] == 2 && pong["id"] == kSession));
      client.serverseq = 2;
    }
  }
  const auto closed_status = adapter.on_text(client.message("close", {{"reason", "end"}}, "PT1S"));
  CHECK((closed_status.close && closed_status.close_code == close_code::kNormal));
  const json closed = last_sent(sink);
  CHECK((closed["type"] == "closed" && closed["seq"] == 3 && closed["clientseq"] == 3));

  CHECK(sink.audio[0] == decoded(audio));
  CHECK(sink.discontinuities == 0);
  CHECK(sink.filled_frames.empty());
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::stop);
  CHECK(adapter.counters().audio_samples == 8000);
  CHECK(adapter.counters().malformed == 0);
}

TEST_CASE("AudioHook chooses one offered format and refuses when none is usable", "[telephony][audiohook]") {
  auto choose = [](const json& media, bool prefer_l16) {
    RecordingSink sink;
    AudioHookConfig config;
    config.prefer_l16 = prefer_l16;
    AudioHookAdapter adapter(sink, config);
    Client client;
    const auto status = adapter.on_text(client.open(kConversation, media));
    return std::make_tuple(status, sink.sent.empty() ? json() : last_sent(sink), sink.starts);
  };
  {  // both parties beat one; between equal channel sets the preference decides
    auto [status, reply, starts] = choose(json::array({offer("PCMU", {"external"}), offer("L16", {"external", "internal"})}), false);
    CHECK(reply["parameters"]["media"][0] == offer("L16", {"external", "internal"}));
    auto [s2, r2, st2] = choose(json::array({offer("L16", {"external", "internal"}), offer("PCMU", {"external", "internal"})}), false);
    CHECK(r2["parameters"]["media"][0]["format"] == "PCMU");
    auto [s3, r3, st3] = choose(json::array({offer("PCMU", {"external", "internal"}), offer("L16", {"external", "internal"})}), true);
    CHECK(r3["parameters"]["media"][0]["format"] == "L16");
  }
  {  // only the agent's channel
    auto [status, reply, starts] = choose(json::array({offer("PCMU", {"internal"})}), false);
    CHECK_FALSE(status.close);
    REQUIRE(starts.size() == 1);
    CHECK(starts[0].tracks[0].channel_roles == std::vector{SpeakerRole::agent});
  }
  {  // nothing usable: disconnect with reason error, close 1003, no call
    auto [status, reply, starts] = choose(
        json::array({offer("opus", {"external", "internal"}), offer("PCMU", {"external"}, 16000), offer("PCMU", {"customer"}),
                     offer("PCMU", {"external", "external"})}),
        false);
    CHECK((status.close && status.close_code == close_code::kUnsupportedData));
    CHECK((reply["type"] == "disconnect" && reply["parameters"]["reason"] == "error"));
    CHECK(starts.empty());
  }
}

TEST_CASE("AudioHook L16 frames are little-endian interleaved samples", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  adapter.on_text(client.open(kConversation, json::array({offer("L16", {"external", "internal"})})));
  const std::vector<std::uint8_t> frame = {0x34, 0x12, 0xCC, 0xED, 0x00, 0x80, 0xFF, 0x7F};  // 0x1234, -0x1234, -32768, 32767
  CHECK_FALSE(adapter.on_binary(frame).close);
  CHECK(sink.audio[0] == std::vector<float>{4660.0f / 32768, -4660.0f / 32768, -1.0f, 32767.0f / 32768});
}

TEST_CASE("AudioHook pause resume and discarded audio keep the stream at the reported positions", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  adapter.on_text(client.open());
  client.serverseq = 1;
  const auto audio = stereo_pcmu(800);
  adapter.on_binary(std::span<const std::uint8_t>(audio).first(800));  // 400 frames = 50 ms
  CHECK_FALSE(adapter.on_text(client.message("paused", json::object(), "PT0.05S")).close);
  // Resumed after a pause of 0.2 s that began at 0.05 s (start: where the pause
  // began, as Genesys' reference client sends it): audio goes on at 0.25 s.
  CHECK_FALSE(adapter.on_text(client.message("resumed", {{"start", "PT0.05S"}, {"discarded", "PT0.2S"}}, "PT0.25S")).close);
  adapter.on_binary(std::span<const std::uint8_t>(audio).subspan(800, 400));  // 200 frames
  // 0.1 s of audio dropped by the client.
  CHECK_FALSE(adapter.on_text(client.message("discarded", {{"start", "PT0.275S"}, {"discarded", "PT0.1S"}}, "PT0.375S")).close);
  adapter.on_binary(std::span<const std::uint8_t>(audio).subspan(1200, 400));
  // update with a position that matches: nothing inserted.
  CHECK_FALSE(adapter.on_text(client.message("update", {{"language", "de-DE"}}, "PT0.4S")).close);

  const auto& a = sink.audio[0];
  REQUIRE(a.size() == 2 * (400 + 1600 + 200 + 800 + 200));
  const auto expected = decoded(audio);
  CHECK(std::equal(expected.begin(), expected.begin() + 800, a.begin()));
  CHECK(std::all_of(a.begin() + 800, a.begin() + 800 + 3200, [](float s) { return s == 0.0f; }));
  CHECK(std::equal(expected.begin() + 800, expected.begin() + 1200, a.begin() + 4000));
  CHECK(std::all_of(a.begin() + 4400, a.begin() + 6000, [](float s) { return s == 0.0f; }));
  CHECK(sink.discontinuities == 0);
  // Both stretches were declared: passed on as gaps of their kind, nothing counted lost.
  CHECK(adapter.counters().paused_samples == 1600 + 800);
  CHECK(adapter.counters().gap_fill_samples == 0);
  CHECK(adapter.counters().gaps == 2);
  REQUIRE(sink.gaps.size() == 2);
  CHECK((sink.gaps[0].kind == tw::dsp::GapKind::paused && sink.gaps[0].first_sample == 400 && sink.gaps[0].frames == 1600));
  CHECK((sink.gaps[1].kind == tw::dsp::GapKind::discarded && sink.gaps[1].first_sample == 2200 && sink.gaps[1].frames == 800));
  std::vector<std::string> notices;
  for (const auto& n : sink.notices) notices.push_back(n.first);
  CHECK(notices == std::vector<std::string>{"paused", "resumed", "discarded", "update"});
}

TEST_CASE("AudioHook connection probe is opened and closed without a call", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  CHECK_FALSE(adapter.on_text(client.open(kNil)).close);
  CHECK(adapter.is_probe());
  CHECK(last_sent(sink)["type"] == "opened");
  client.serverseq = 1;
  const auto status = adapter.on_text(client.message("close", {{"reason", "end"}}));
  CHECK((status.close && status.close_code == close_code::kNormal));
  CHECK(last_sent(sink)["type"] == "closed");
  CHECK(sink.starts.empty());
  CHECK(sink.ends.empty());
  CHECK(sink.audio.empty());
  // Audio in a probe is a protocol error.
  RecordingSink sink2;
  AudioHookAdapter probe(sink2);
  Client client2;
  probe.on_text(client2.open(kNil));
  const std::uint8_t frame[] = {0xFF, 0xFF};
  CHECK(probe.on_binary(frame).close);
}

TEST_CASE("AudioHook refuses broken sequences unknown messages malformed JSON and early audio", "[telephony][audiohook]") {
  struct Case {
    const char* name;
    std::function<AdapterStatus(AudioHookAdapter&, Client&)> run;
    std::uint16_t code;
  };
  const std::uint8_t frame[] = {0xFF, 0xFF};
  const Case cases[] = {
      {"seq skips", [](AudioHookAdapter& a, Client& c) { c.seq += 1; return a.on_text(c.message("ping", json::object())); }, close_code::kProtocolError},
      {"serverseq ahead", [](AudioHookAdapter& a, Client& c) { c.serverseq = 5; return a.on_text(c.message("ping", json::object())); }, close_code::kProtocolError},
      {"unknown type", [](AudioHookAdapter& a, Client& c) { return a.on_text(c.message("disconnect", {{"reason", "completed"}})); }, close_code::kProtocolError},
      {"open twice", [](AudioHookAdapter& a, Client& c) { return a.on_text(c.open()); }, close_code::kProtocolError},
      {"invalid JSON", [](AudioHookAdapter& a, Client&) { return a.on_text("{\"version\": \"2\", "); }, close_code::kInvalidPayload},
      {"no version", [](AudioHookAdapter& a, Client& c) {
         auto m = json::parse(c.message("ping", json::object()));
         m.erase("version");
         return a.on_text(m.dump()); }, close_code::kInvalidPayload},
      {"bad position", [](AudioHookAdapter& a, Client& c) { return a.on_text(c.message("ping", json::object(), "1.5")); }, close_code::kInvalidPayload},
      {"session id changes", [](AudioHookAdapter& a, Client& c) {
         auto m = json::parse(c.message("ping", json::object()));
         m["id"] = "11111111-2222-3333-4444-555555555555";
         return a.on_text(m.dump()); }, close_code::kProtocolError},
      {"resumed without start", [](AudioHookAdapter& a, Client& c) { return a.on_text(c.message("resumed", {{"discarded", "PT0S"}})); }, close_code::kInvalidPayload},
      {"position jump", [](AudioHookAdapter& a, Client& c) { return a.on_text(c.message("update", json::object(), "PT7200S")); }, close_code::kInvalidPayload},
      {"oversize", [](AudioHookAdapter& a, Client&) { return a.on_binary(std::vector<std::uint8_t>(70000, 0xFF)); }, close_code::kMessageTooBig},
  };
  for (const auto& c : cases) {
    RecordingSink sink;
    AudioHookAdapter adapter(sink);
    Client client;
    adapter.on_text(client.open());
    client.serverseq = 1;
    adapter.on_binary(frame);
    const auto status = c.run(adapter, client);
    INFO(c.name);
    CHECK((status.close && status.close_code == c.code));
    CHECK(adapter.counters().malformed == 1);
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::protocol_error);
    CHECK(last_sent(sink)["type"] == "disconnect");
    CHECK(last_sent(sink)["parameters"]["reason"] == "error");
  }
  {  // audio or another message before open
    RecordingSink sink;
    AudioHookAdapter adapter(sink);
    CHECK(adapter.on_binary(frame).close);
    RecordingSink sink2;
    AudioHookAdapter adapter2(sink2);
    Client client;
    CHECK(adapter2.on_text(client.message("paused", json::object())).close);
    CHECK(sink2.starts.empty());
  }
  {  // a frame cut inside a stereo sample pair is counted, the whole frames kept
    RecordingSink sink;
    AudioHookAdapter adapter(sink);
    Client client;
    adapter.on_text(client.open());
    const std::uint8_t three[] = {0xFF, 0xFF, 0x80};
    CHECK_FALSE(adapter.on_binary(three).close);
    CHECK(adapter.counters().count_of(Malformed::partial_sample) == 1);
    CHECK(sink.audio[0].size() == 2);
  }
  {  // client error then close: a peer error; abrupt disconnect without close: connection lost
    RecordingSink sink;
    AudioHookAdapter adapter(sink);
    Client client;
    adapter.on_text(client.open());
    client.serverseq = 1;
    CHECK_FALSE(adapter.on_text(client.message("error", {{"code", 500}, {"message", "internal"}})).close);
    adapter.on_text(client.message("close", {{"reason", "error"}}));
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::peer_error);
    RecordingSink sink2;
    AudioHookAdapter adapter2(sink2);
    Client client2;
    adapter2.on_text(client2.open());
    adapter2.on_disconnect();
    REQUIRE(sink2.ends.size() == 1);
    CHECK(sink2.ends[0].first == EndReason::connection_lost);
  }
}

TEST_CASE("AudioHook audio allocates nothing after warm-up", "[telephony][audiohook][alloc]") {
  tw::test::CountingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  adapter.on_text(client.open());
  const auto audio = stereo_pcmu(160 * 1100);
  for (std::size_t i = 0; i < 100; ++i) adapter.on_binary(std::span<const std::uint8_t>(audio).subspan(i * 320, 320));
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (std::size_t i = 100; i < 1100; ++i) adapter.on_binary(std::span<const std::uint8_t>(audio).subspan(i * 320, 320));
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
  CHECK(sink.frames == 1100 * 160);
}

TEST_CASE("AudioHook customConfig nested deeper than the limit ends the session before parsing",
          "[telephony][audiohook][security]") {
  auto open_with_config = [](Client& client, int depth) {
    // parameters.customConfig.x: the message is 3 deep at customConfig, `depth` at x's innermost array.
    json message = json::parse(client.open());
    message["parameters"]["customConfig"] = {{"x", "@"}};
    std::string text = message.dump();
    const auto inner = static_cast<std::size_t>(depth - 3);
    text.replace(text.find("\"@\""), 3, std::string(inner, '[') + std::string(inner, ']'));
    return text;
  };

  {
    RecordingSink sink;
    AudioHookAdapter adapter(sink);
    Client client;
    const std::string message = open_with_config(client, 32);
    REQUIRE(tw::telephony::json_depth_within(message, 32));
    CHECK_FALSE(adapter.on_text(message).close);
    REQUIRE(sink.starts.size() == 1);
    CHECK(sink.starts[0].metadata.contains("customConfig"));
  }
  {
    RecordingSink sink;
    AudioHookConfig config;
    config.max_json_bytes = 256 * 1024;
    AudioHookAdapter adapter(sink, config);
    Client client;
    const auto status = adapter.on_text(open_with_config(client, 60000));
    CHECK((status.close && status.close_code == close_code::kPolicyViolation));
    CHECK(adapter.counters().count_of(Malformed::too_deep) == 1);
    CHECK(sink.starts.empty());
  }
  {
    RecordingSink sink;
    AudioHookAdapter adapter(sink);  // 64 KiB of JSON at most
    Client client;
    const auto status = adapter.on_text(open_with_config(client, 60000));
    CHECK((status.close && status.close_code == close_code::kMessageTooBig));
  }
}

TEST_CASE("AudioHook a pause of an hour is one gap of its length and no maximum refuses it", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);  // max_gap_s 60: an undeclared jump that long is refused
  Client client;
  adapter.on_text(client.open());
  client.serverseq = 1;
  CHECK_FALSE(adapter.on_text(client.message("paused", json::object(), "PT0S")).close);
  CHECK_FALSE(adapter.on_text(client.message("resumed", {{"start", "PT0S"}, {"discarded", "PT3600S"}}, "PT3600S")).close);
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].frames == 3600 * 8000);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::paused);
  CHECK(adapter.counters().paused_samples == 3600u * 8000u);
  CHECK(adapter.counters().count_of(Malformed::bad_timestamp) == 0);
}

TEST_CASE("AudioHook an empty audio frame is ignored in any state", "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  CHECK_FALSE(adapter.on_text(client.open(kNil)).close);  // the probe
  CHECK_FALSE(adapter.on_binary({}).close);
  CHECK(adapter.counters().malformed == 0);
}

TEST_CASE("AudioHook messages during a pause move the stream through paused time and never lost time", "[telephony][audiohook]") {
  // position counts paused time (a resumed message's start is the position where audio
  // goes on), so an update, a second paused, or the close of a call still on hold
  // carries the stream through the pause.
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  adapter.on_text(client.open());
  client.serverseq = 1;
  const auto audio = stereo_pcmu(400);
  adapter.on_binary(audio);  // 400 frames = 50 ms
  CHECK_FALSE(adapter.on_text(client.message("paused", json::object(), "PT0.05S")).close);
  CHECK_FALSE(adapter.on_text(client.message("update", {{"language", "fr-FR"}}, "PT0.3S")).close);
  CHECK_FALSE(adapter.on_text(client.message("paused", json::object(), "PT0.5S")).close);  // already paused: nothing
  const auto closed = adapter.on_text(client.message("close", {{"reason", "end"}}, "PT1.05S"));
  CHECK(closed.close);
  CHECK(closed.close_code == 1000);
  // 1.05 s of stream: 50 ms of audio, then one second paused, in two gaps (update, close).
  CHECK(adapter.counters().paused_samples == 8000u);
  CHECK(adapter.counters().gap_fill_samples == 0);
  CHECK(adapter.counters().count_of(Malformed::bad_timestamp) == 0);
  REQUIRE(sink.gaps.size() == 2);
  for (const auto& gap : sink.gaps) CHECK(gap.kind == tw::dsp::GapKind::paused);
  CHECK(sink.gaps[0].first_sample == 400);
  CHECK(sink.gaps[1].first_sample + sink.gaps[1].frames == 8400);
  CHECK(json::parse(sink.sent.back())["type"] == "closed");
}

TEST_CASE("AudioHook the server's pause and resume go out numbered in an open call and never before it or in a probe",
          "[telephony][audiohook]") {
  RecordingSink sink;
  AudioHookAdapter adapter(sink);
  Client client;
  CHECK_FALSE(adapter.request_pause(true));  // nothing is open yet
  CHECK(sink.sent.empty());
  adapter.on_text(client.open());
  client.serverseq = 1;
  REQUIRE(adapter.request_pause(true));
  json pause = last_sent(sink);
  CHECK(pause["type"] == "pause");
  CHECK(pause["seq"] == 2);  // opened was 1
  CHECK(pause["parameters"] == json::object());
  // The client answers paused; 2 s later the server resumes it and the client says
  // where audio goes on: the stretch is paused time.
  CHECK_FALSE(adapter.on_text(client.message("paused", json::object(), "PT0S")).close);
  REQUIRE(adapter.request_pause(false));
  CHECK(last_sent(sink)["type"] == "resume");
  CHECK(last_sent(sink)["seq"] == 3);
  CHECK_FALSE(adapter.on_text(client.message("resumed", {{"start", "PT0S"}, {"discarded", "PT2S"}}, "PT2S")).close);
  CHECK(adapter.counters().paused_samples == 16000u);
  CHECK(adapter.counters().gap_fill_samples == 0);

  RecordingSink probe_sink;
  AudioHookAdapter probe(probe_sink);
  Client prober;
  probe.on_text(prober.open(kNil));
  const std::size_t sent = probe_sink.sent.size();
  CHECK_FALSE(probe.request_pause(true));  // a probe is no call: nothing to pause
  CHECK(probe_sink.sent.size() == sent);
}
