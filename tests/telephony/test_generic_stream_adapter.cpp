// Generic WebSocket stream (mod_audio_fork / mod_audio_stream / chan_websocket
// shape): metadata, then raw audio split anywhere.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dsp/g711.h"
#include "support/allocation_counter.h"
#include "support/recording_sink.h"
#include "telephony/generic_stream_adapter.h"

using namespace tw::telephony;
using tw::features::SpeakerRole;
using tw::test::RecordingSink;

namespace {

using Bytes = std::vector<std::uint8_t>;

// Interleaved stereo 16-bit samples: caller tone left, agent tone right.
std::vector<std::int16_t> stereo_tone(std::size_t frames, int rate_hz) {
  std::vector<std::int16_t> out;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    out.push_back(static_cast<std::int16_t>(std::lround(16000.0 * std::sin(2.0 * M_PI * 440.0 * t))));
    out.push_back(static_cast<std::int16_t>(std::lround(-9000.0 * std::sin(2.0 * M_PI * 650.0 * t))));
  }
  return out;
}

Bytes l16_bytes(const std::vector<std::int16_t>& samples) {
  Bytes out;
  for (const auto s : samples) {
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(s) & 0xFF));
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(s) >> 8));
  }
  return out;
}

std::vector<float> floats(const std::vector<std::int16_t>& samples) {
  std::vector<float> out;
  for (const auto s : samples) out.push_back(static_cast<float>(s) / 32768.0f);
  return out;
}

// Feeds `bytes` as binary messages of random sizes (odd sizes split samples and frames).
void feed_randomly(GenericStreamAdapter& adapter, const Bytes& bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t n = std::min<std::size_t>(std::uniform_int_distribution<std::size_t>(1, 997)(rng), bytes.size() - at);
    REQUIRE_FALSE(adapter.on_binary(std::span<const std::uint8_t>(bytes.data() + at, n)).close);
    at += n;
  }
}

}  // namespace

TEST_CASE("Generic stereo L16 split at any byte keeps frames whole and the stream sample-exact", "[telephony][generic]") {
  const auto samples = stereo_tone(16000, 16000);
  RecordingSink sink;
  GenericStreamAdapter adapter(sink);
  CHECK_FALSE(adapter.on_text(R"({"call_id": "call-42", "sample_rate": 16000, "channels": 2, "agent_id": "A17", "queue": "billing"})").close);
  feed_randomly(adapter, l16_bytes(samples), 3);
  adapter.on_disconnect(true);

  REQUIRE(sink.starts.size() == 1);
  const auto& start = sink.starts[0];
  CHECK(start.protocol == Protocol::generic_ws);
  CHECK(start.call_id == "call-42");
  CHECK(start.sample_rate_hz == 16000);
  REQUIRE(start.tracks.size() == 1);
  CHECK(start.tracks[0].channel_roles == std::vector{SpeakerRole::caller, SpeakerRole::agent});
  CHECK(start.metadata == nlohmann::json({{"agent_id", "A17"}, {"queue", "billing"}}));
  CHECK(sink.audio[0] == floats(samples));
  CHECK(sink.discontinuities == 0);
  for (const auto& block : sink.blocks) CHECK(block.frames > 0);
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::stop);
  CHECK(adapter.counters().audio_samples == 16000);
  CHECK(adapter.counters().malformed == 0);
}

TEST_CASE("Generic PCMU and PCMA streams decode by G.711 and roles follow the metadata", "[telephony][generic]") {
  std::vector<std::uint8_t> codes;
  for (int i = 0; i < 1600; ++i) codes.push_back(static_cast<std::uint8_t>((i * 37) & 0xFF));
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    adapter.on_text(R"({"call_id": "c1", "sample_rate": 8000, "channels": 2, "encoding": "PCMU", "roles": ["agent", "caller"]})");
    feed_randomly(adapter, codes, 5);
    REQUIRE(sink.starts.size() == 1);
    CHECK(sink.starts[0].tracks[0].channel_roles == std::vector{SpeakerRole::agent, SpeakerRole::caller});
    std::vector<float> expected;
    for (const auto c : codes) expected.push_back(static_cast<float>(tw::dsp::mulaw_to_linear(c)) / 32768.0f);
    CHECK(sink.audio[0] == expected);
  }
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    adapter.on_text(R"({"call_id": "c2", "sample_rate": 8000, "encoding": "PCMA", "roles": ["agent"]})");
    feed_randomly(adapter, codes, 6);
    CHECK(sink.starts[0].tracks[0].channel_roles == std::vector{SpeakerRole::agent});
    std::vector<float> expected;
    for (const auto c : codes) expected.push_back(static_cast<float>(tw::dsp::alaw_to_linear(c)) / 32768.0f);
    CHECK(sink.audio[0] == expected);
  }
}

TEST_CASE("Generic metadata accepts 8 to 48 kHz and refuses what it cannot read", "[telephony][generic]") {
  for (const int rate : {8000, 11025, 16000, 22050, 44100, 48000}) {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    CHECK_FALSE(adapter.on_text(R"({"call_id": "c", "sample_rate": )" + std::to_string(rate) + "}").close);
    CHECK(sink.starts.at(0).sample_rate_hz == rate);
  }
  const std::pair<const char*, std::uint16_t> refused[] = {
      {"not json", close_code::kInvalidPayload},
      {R"(["call_id"])", close_code::kInvalidPayload},
      {R"({"sample_rate": 8000})", close_code::kInvalidPayload},
      {R"({"call_id": "", "sample_rate": 8000})", close_code::kInvalidPayload},
      {R"({"call_id": 7, "sample_rate": 8000})", close_code::kInvalidPayload},
      {R"({"call_id": "c"})", close_code::kInvalidPayload},
      {R"({"call_id": "c", "sample_rate": "8000"})", close_code::kInvalidPayload},
      {R"({"call_id": "c", "sample_rate": 7999})", close_code::kUnsupportedData},
      {R"({"call_id": "c", "sample_rate": 96000})", close_code::kUnsupportedData},
      {R"({"call_id": "c", "sample_rate": 8000, "channels": 3})", close_code::kUnsupportedData},
      {R"({"call_id": "c", "sample_rate": 8000, "channels": 1.5})", close_code::kInvalidPayload},
      {R"({"call_id": "c", "sample_rate": 8000, "encoding": "OPUS"})", close_code::kUnsupportedData},
      {R"({"call_id": "c", "sample_rate": 16000, "encoding": "PCMU"})", close_code::kUnsupportedData},
      {R"({"call_id": "c", "sample_rate": 8000, "channels": 2, "roles": ["caller"]})", close_code::kInvalidPayload},
      {R"({"call_id": "c", "sample_rate": 8000, "channels": 2, "roles": ["caller", "caller"]})", close_code::kInvalidPayload},
      {R"({"call_id": "c", "sample_rate": 8000, "roles": ["customer"]})", close_code::kInvalidPayload},
  };
  for (const auto& [text, code] : refused) {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    const auto status = adapter.on_text(text);
    INFO(text);
    CHECK((status.close && status.close_code == code));
    CHECK(sink.starts.empty());
    CHECK(adapter.counters().malformed == 1);
  }
}

TEST_CASE("Generic refuses audio before metadata and oversize frames and counts a partial frame at the end", "[telephony][generic]") {
  const Bytes audio = l16_bytes(stereo_tone(160, 8000));
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    const auto status = adapter.on_binary(audio);
    CHECK((status.close && status.close_code == close_code::kPolicyViolation));
  }
  {
    RecordingSink sink;
    GenericStreamConfig config;
    config.max_message_bytes = 512;
    GenericStreamAdapter adapter(sink, config);
    adapter.on_text(R"({"call_id": "c", "sample_rate": 8000, "channels": 2})");
    const auto status = adapter.on_binary(audio);  // 640 bytes
    CHECK((status.close && status.close_code == close_code::kMessageTooBig));
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::protocol_error);
  }
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    adapter.on_text(R"({"call_id": "c", "sample_rate": 8000, "channels": 2})");
    CHECK_FALSE(adapter.on_text(R"({"event": "something"})").close);  // later text: counted, ignored
    CHECK_FALSE(adapter.on_binary(std::span<const std::uint8_t>(audio).first(7)).close);  // 1 frame + 3 bytes
    CHECK(sink.audio[0].size() == 2);
    adapter.on_disconnect(false);  // abrupt end mid-frame
    CHECK(adapter.counters().count_of(Malformed::partial_sample) == 1);
    CHECK(adapter.counters().count_of(Malformed::unknown_message) == 1);
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::connection_lost);
  }
}

TEST_CASE("Generic audio allocates nothing after warm-up", "[telephony][generic][alloc]") {
  tw::test::CountingSink sink;
  GenericStreamAdapter adapter(sink);
  adapter.on_text(R"({"call_id": "c", "sample_rate": 16000, "channels": 2})");
  const Bytes audio = l16_bytes(stereo_tone(320 * 1100, 16000));
  // 20 ms messages of 1279 and 1281 bytes in turn, so every message ends inside a frame.
  std::vector<std::span<const std::uint8_t>> messages;
  for (std::size_t at = 0, i = 0; at < audio.size(); ++i) {
    const std::size_t n = std::min<std::size_t>(i % 2 ? 1281 : 1279, audio.size() - at);
    messages.push_back(std::span<const std::uint8_t>(audio).subspan(at, n));
    at += n;
  }
  for (std::size_t i = 0; i < 100; ++i) adapter.on_binary(messages[i]);
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (std::size_t i = 100; i < messages.size(); ++i) adapter.on_binary(messages[i]);
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
  CHECK(sink.frames == 320 * 1100);
}

TEST_CASE("Generic metadata nested deeper than the limit is refused unparsed and oversize text by the JSON limit",
          "[telephony][generic][security]") {
  // {"call_id":"c","sample_rate":8000,"x": [ x (depth-1) ] x (depth-1) }: the object is `depth` deep.
  auto metadata = [](int depth) {
    const auto inner = static_cast<std::size_t>(depth - 1);
    return R"({"call_id":"c","sample_rate":8000,"x":)" + std::string(inner, '[') + std::string(inner, ']') + "}";
  };
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    CHECK_FALSE(adapter.on_text(metadata(32)).close);  // at the limit: a call
    CHECK(sink.starts.size() == 1);
  }
  for (const int depth : {33, 60000, 100000}) {
    RecordingSink sink;
    GenericStreamConfig config;
    config.max_json_bytes = 256 * 1024;  // 100,000 levels are 200 KB: past the size limit of the default
    GenericStreamAdapter adapter(sink, config);
    const auto status = adapter.on_text(metadata(depth));
    CHECK((status.close && status.close_code == close_code::kPolicyViolation));
    CHECK(status.reason.find("deeper") != std::string_view::npos);
    CHECK(adapter.counters().count_of(Malformed::too_deep) == 1);
    CHECK(sink.starts.empty());
  }
  {
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);  // max_json_bytes 64 KiB: the 200 KB message never reaches the parser
    const auto status = adapter.on_text(metadata(100000));
    CHECK((status.close && status.close_code == close_code::kMessageTooBig));
    CHECK(adapter.counters().count_of(Malformed::oversize) == 1);
  }
  {
    // Audio keeps its own (larger) limit: a 100 KB binary message is audio, not JSON.
    RecordingSink sink;
    GenericStreamAdapter adapter(sink);
    adapter.on_text(R"({"call_id":"c","sample_rate":8000})");
    CHECK_FALSE(adapter.on_binary(Bytes(100000, 0)).close);
  }
  GenericStreamConfig bad;
  bad.max_json_depth = 4;
  RecordingSink sink;
  CHECK_THROWS_AS(GenericStreamAdapter(sink, bad), std::invalid_argument);
}
