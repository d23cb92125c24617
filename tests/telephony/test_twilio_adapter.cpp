// Twilio Media Streams adapter: real message sequences as Twilio documents them,
// sample-exact output, both tracks, gaps, late chunks, and every bad input.

#include <catch2/catch.hpp>

#include <algorithm>

#include "support/allocation_counter.h"
#include "support/recording_sink.h"
#include "telephony/twilio_stream_adapter.h"
#include "twilio_messages.h"

using namespace tw::telephony;
using tw::features::SpeakerRole;
using tw::test::RecordingSink;
using tw::test::base64_encode;
namespace twilio = tw::test::twilio;

TEST_CASE("Twilio both tracks on one socket deliver sample-exact audio roles dtmf mark and stop", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  const auto inbound = twilio::mulaw_tone(8000, 440.0, 0.5);
  const auto outbound = twilio::mulaw_tone(8000, 700.0, 0.3);

  CHECK_FALSE(adapter.on_text(twilio::connected()).close);
  CHECK_FALSE(adapter.on_text(twilio::start()).close);
  for (int chunk = 0; chunk < 50; ++chunk) {
    const auto at = static_cast<std::size_t>(chunk) * 160;
    // Twilio interleaves the tracks; the outbound chunk sometimes comes first.
    const auto in_msg = twilio::media("inbound", chunk + 1, chunk * 20, base64_encode(twilio::slice(inbound, at, 160)));
    const auto out_msg = twilio::media("outbound", chunk + 1, chunk * 20, base64_encode(twilio::slice(outbound, at, 160)));
    if (chunk % 3 == 0) {
      CHECK_FALSE(adapter.on_text(out_msg).close);
      CHECK_FALSE(adapter.on_text(in_msg).close);
    } else {
      CHECK_FALSE(adapter.on_text(in_msg).close);
      CHECK_FALSE(adapter.on_text(out_msg).close);
    }
    if (chunk == 10) CHECK_FALSE(adapter.on_text(twilio::dtmf("inbound_track", "7")).close);
  }
  CHECK_FALSE(adapter.on_text(twilio::mark("greeting-done")).close);
  const AdapterStatus stopped = adapter.on_text(twilio::stop());
  CHECK((stopped.close && stopped.close_code == close_code::kNormal));

  REQUIRE(sink.starts.size() == 1);
  const StreamStart& start = sink.starts[0];
  CHECK(start.protocol == Protocol::twilio);
  CHECK(start.call_id == twilio::kCallSid);
  CHECK(start.stream_id == twilio::kStreamSid);
  CHECK(start.sample_rate_hz == 8000);
  REQUIRE(start.tracks.size() == 2);
  CHECK((start.tracks[0].name == "inbound" && start.tracks[0].channel_roles == std::vector{SpeakerRole::caller}));
  CHECK((start.tracks[1].name == "outbound" && start.tracks[1].channel_roles == std::vector{SpeakerRole::agent}));
  CHECK(start.metadata["customParameters"]["agentId"] == "A17");

  CHECK(sink.audio[0] == twilio::expected_floats(inbound));
  CHECK(sink.audio[1] == twilio::expected_floats(outbound));
  CHECK(sink.discontinuities == 0);
  CHECK(sink.filled_frames.empty());
  REQUIRE(sink.dtmf.size() == 1);
  CHECK((sink.dtmf[0].digit == '7' && sink.dtmf[0].track == 0 && sink.dtmf[0].at_sample == 11 * 160));
  REQUIRE(sink.notices.size() == 1);
  CHECK((sink.notices[0].first == "mark" && sink.notices[0].second == "greeting-done"));
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::stop);
  const auto& c = adapter.counters();
  CHECK(c.audio_samples == 16000);
  CHECK(c.messages == 2 + 100 + 1 + 1 + 1);
  CHECK(c.malformed == 0);
  CHECK(c.dtmf == 1);
}

TEST_CASE("Twilio callerTrack custom parameter swaps the roles and a bad value refuses the stream", "[telephony][twilio]") {
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    adapter.on_text(twilio::start(R"(["inbound", "outbound"])", R"({"callerTrack": "outbound"})"));
    REQUIRE(sink.starts.size() == 1);
    CHECK(sink.starts[0].tracks[0].channel_roles[0] == SpeakerRole::agent);
    CHECK(sink.starts[0].tracks[1].channel_roles[0] == SpeakerRole::caller);
  }
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    const auto status = adapter.on_text(twilio::start(R"(["inbound", "outbound"])", R"({"callerTrack": "customer"})"));
    CHECK((status.close && status.close_code == close_code::kInvalidPayload));
    CHECK(sink.starts.empty());
    CHECK(sink.ends.empty());
  }
}

TEST_CASE("Twilio one-track streams report one track and ignore media of the other", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start(R"(["outbound"])", "{}"));
  REQUIRE(sink.starts.size() == 1);
  REQUIRE(sink.starts[0].tracks.size() == 1);
  CHECK(sink.starts[0].tracks[0].channel_roles[0] == SpeakerRole::agent);
  const auto tone = twilio::mulaw_tone(160, 300.0, 0.5);
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(tone))).close);
  CHECK(adapter.counters().count_of(Malformed::unknown_track) == 1);
  CHECK_FALSE(adapter.on_text(twilio::media("outbound", 1, 0, base64_encode(tone))).close);
  CHECK(sink.audio[0] == twilio::expected_floats(tone));
}

TEST_CASE("Twilio timestamps fill lost chunks with silence and drop late and duplicate chunks", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start(R"(["inbound"])", "{}"));
  const auto tone = twilio::mulaw_tone(160 * 6, 500.0, 0.5);
  auto chunk = [&](int i) { return twilio::media("inbound", i + 1, i * 20, base64_encode(twilio::slice(tone, static_cast<std::size_t>(i) * 160, 160))); };
  adapter.on_text(chunk(0));
  adapter.on_text(chunk(1));
  adapter.on_text(chunk(4));  // chunks 2 and 3 lost
  adapter.on_text(chunk(2));  // 2 arrives late: dropped
  adapter.on_text(chunk(4));  // duplicate: dropped
  adapter.on_text(chunk(5));

  const auto expected_all = twilio::expected_floats(tone);
  std::vector<float> expected(expected_all.begin(), expected_all.begin() + 320);
  expected.insert(expected.end(), 320, 0.0f);
  expected.insert(expected.end(), expected_all.begin() + 640, expected_all.end());
  CHECK(sink.audio[0] == expected);
  CHECK(sink.discontinuities == 0);
  const auto& c = adapter.counters();
  CHECK(c.gap_fill_samples == 320);
  CHECK(c.gaps == 1);
  CHECK(c.late_chunks_dropped == 2);
  CHECK(c.audio_samples == 4 * 160);
  CHECK(sink.filled_frames[0] == 320);
}

TEST_CASE("Twilio frame sizes come from the payload and a first timestamp after zero is silence before it", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start(R"(["inbound"])", "{}"));
  const auto tone = twilio::mulaw_tone(80 + 240 + 160 + 8, 250.0, 0.4);
  // The documentation's example media message starts at timestamp 5.
  adapter.on_text(twilio::media("inbound", 1, 5, base64_encode(twilio::slice(tone, 0, 80))));
  adapter.on_text(twilio::media("inbound", 2, 15, base64_encode(twilio::slice(tone, 80, 240))));
  adapter.on_text(twilio::media("inbound", 3, 45, base64_encode(twilio::slice(tone, 320, 160))));
  adapter.on_text(twilio::media("inbound", 4, 65, base64_encode(twilio::slice(tone, 480, 8))));
  std::vector<float> expected(40, 0.0f);
  const auto decoded = twilio::expected_floats(tone);
  expected.insert(expected.end(), decoded.begin(), decoded.end());
  CHECK(sink.audio[0] == expected);
  CHECK(adapter.counters().gap_fill_samples == 40);
  CHECK(adapter.counters().late_chunks_dropped == 0);
}

TEST_CASE("Twilio media with escaped JSON strings takes the full parser and decodes the same", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start(R"(["inbound"])", "{}"));
  const std::vector<std::uint8_t> bytes = {0xFF, 0xFF, 0xFE, 0x7F, 0x00, 0x80};  // base64 "//7/f/8AgA==" style with '/'
  std::string payload = base64_encode(bytes);
  REQUIRE(payload.find('/') != std::string::npos);
  std::string escaped;
  for (char ch : payload) escaped += ch == '/' ? std::string("\\/") : std::string(1, ch);
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, 0, escaped)).close);
  CHECK(sink.audio[0] == twilio::expected_floats(bytes));
}

TEST_CASE("Twilio bad messages are counted and dropped while the stream goes on", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::connected());
  adapter.on_text(twilio::start(R"(["inbound"])", "{}"));
  const auto tone = twilio::mulaw_tone(160, 300.0, 0.5);
  CHECK_FALSE(adapter.on_text(R"({"event": "media", "media": )").close);                               // malformed JSON
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, 0, "not*base64!")).close);                     // bad base64
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(tone) + "A")).close);        // truncated base64
  CHECK_FALSE(adapter.on_text(R"({"event": "transcription", "streamSid": "MZ1"})").close);             // unknown event
  CHECK_FALSE(adapter.on_text(R"({"event": "media", "media": {"track": "inbound", "timestamp": "0"}})").close);  // no payload
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, -20, base64_encode(tone))).close);             // negative timestamp
  CHECK_FALSE(adapter.on_text(R"({"event": "media", "media": {"track": "inbound", "timestamp": "abc", "payload": "AAAA"}})").close);
  CHECK_FALSE(adapter.on_text(R"({"event": "media", "media": {"track": 7, "timestamp": "0", "payload": "AAAA"}})").close);
  CHECK_FALSE(adapter.on_text(twilio::dtmf("inbound_track", "X")).close);                               // not a DTMF digit
  CHECK_FALSE(adapter.on_text(twilio::connected()).close);                                              // connected again
  CHECK_FALSE(adapter.on_text(twilio::start(R"(["inbound"])", "{}")).close);                            // start again
  CHECK_FALSE(adapter.on_text(R"([1, 2, 3])").close);                                                   // not an object

  const auto& c = adapter.counters();
  CHECK(c.count_of(Malformed::invalid_json) == 2);
  CHECK(c.count_of(Malformed::bad_base64) == 2);
  CHECK(c.count_of(Malformed::unknown_message) == 1);
  CHECK(c.count_of(Malformed::missing_field) == 2);
  CHECK(c.count_of(Malformed::bad_timestamp) == 2);
  CHECK(c.count_of(Malformed::bad_value) == 1);
  CHECK(c.count_of(Malformed::out_of_order) == 2);
  CHECK(c.malformed == 12);
  CHECK(sink.audio.empty());
  CHECK(sink.starts.size() == 1);
  CHECK(sink.ends.empty());
  // The stream is still usable.
  CHECK_FALSE(adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(tone))).close);
  CHECK(sink.audio[0] == twilio::expected_floats(tone));
}

TEST_CASE("Twilio refuses media before start oversize messages binary frames wrong codecs and timestamp jumps", "[telephony][twilio]") {
  const auto tone = twilio::mulaw_tone(160, 300.0, 0.5);
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    adapter.on_text(twilio::connected());
    const auto status = adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(tone)));
    CHECK((status.close && status.close_code == close_code::kPolicyViolation));
    CHECK((sink.starts.empty() && sink.ends.empty() && sink.audio.empty()));
  }
  {
    RecordingSink sink;
    TwilioConfig config;
    config.max_message_bytes = 1024;
    TwilioStreamAdapter adapter(sink, config);
    adapter.on_text(twilio::start());
    const auto status = adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(twilio::mulaw_tone(2000, 300.0, 0.5))));
    CHECK((status.close && status.close_code == close_code::kMessageTooBig));
    CHECK(adapter.counters().count_of(Malformed::oversize) == 1);
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::protocol_error);
  }
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    const std::uint8_t bytes[] = {1, 2, 3};
    const auto status = adapter.on_binary(bytes);
    CHECK((status.close && status.close_code == close_code::kUnsupportedData));
  }
  for (const auto& [encoding, rate] : {std::pair<std::string, int>{"audio/x-alaw", 8000}, {"audio/x-mulaw", 16000}, {"audio/l16", 8000}}) {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    const auto status = adapter.on_text(twilio::start(R"(["inbound"])", "{}", encoding, rate));
    CHECK((status.close && status.close_code == close_code::kUnsupportedData));
    CHECK(sink.starts.empty());
  }
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    const auto status = adapter.on_text(twilio::start(R"(["inbound", "inbound"])", "{}"));
    CHECK((status.close && status.close_code == close_code::kInvalidPayload));
  }
  {
    RecordingSink sink;
    TwilioStreamAdapter adapter(sink);  // 60 s maximum gap
    adapter.on_text(twilio::start(R"(["inbound"])", "{}"));
    adapter.on_text(twilio::media("inbound", 1, 0, base64_encode(tone)));
    const auto status = adapter.on_text(twilio::media("inbound", 2, 3'600'000, base64_encode(tone)));
    CHECK((status.close && status.close_code == close_code::kInvalidPayload));
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::protocol_error);
    CHECK(sink.audio[0].size() == 160);  // no hour of silence
  }
}

TEST_CASE("Twilio connection lost before stop ends the stream once", "[telephony][twilio]") {
  RecordingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start());
  adapter.on_disconnect();
  adapter.on_disconnect();
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::connection_lost);
  RecordingSink idle;
  TwilioStreamAdapter never_started(idle);
  never_started.on_disconnect();
  CHECK(idle.ends.empty());
}

TEST_CASE("Twilio media messages allocate nothing after warm-up", "[telephony][twilio][alloc]") {
  tw::test::CountingSink sink;
  TwilioStreamAdapter adapter(sink);
  adapter.on_text(twilio::start());
  const auto tone = twilio::mulaw_tone(160 * 1100, 440.0, 0.5);
  std::vector<std::string> messages;
  for (int i = 0; i < 1100; ++i) {
    const auto track = i % 2 == 0 ? "inbound" : "outbound";
    messages.push_back(twilio::media(track, i / 2 + 1, (i / 2) * 20, base64_encode(twilio::slice(tone, static_cast<std::size_t>(i) * 160, 160))));
  }
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(adapter.on_text(messages[static_cast<std::size_t>(i)]).close);
  std::size_t allocations = 0;
  bool any_closed = false;
  {
    tw::test::AllocationScope scope;
    for (std::size_t i = 100; i < 1100; ++i) any_closed |= adapter.on_text(messages[i]).close;
    allocations = scope.allocations();
  }
  CHECK_FALSE(any_closed);
  CHECK(allocations == 0);
  CHECK(sink.frames == 1100 * 160);
  CHECK(adapter.counters().malformed == 0);
}

TEST_CASE("Twilio messages nested deeper than the limit close the stream and are counted apart from bad JSON",
          "[telephony][twilio][security]") {
  namespace tm = tw::test::twilio;
  auto deep = [](int depth) {  // customParameters {"x": [[...]]}: the start message is depth + 2 deep
    const auto inner = static_cast<std::size_t>(depth - 1);
    return "{\"x\":" + std::string(inner, '[') + std::string(inner, ']') + "}";
  };
  {
    tw::test::RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    CHECK_FALSE(adapter.on_text(tm::start(R"(["inbound"])", deep(30))).close);  // 32 deep: taken
    CHECK(sink.starts.size() == 1);
  }
  {
    tw::test::RecordingSink sink;
    TwilioConfig config;
    config.max_message_bytes = 256 * 1024;
    TwilioStreamAdapter adapter(sink, config);
    const auto status = adapter.on_text(tm::start(R"(["inbound"])", deep(60000)));
    CHECK((status.close && status.close_code == close_code::kPolicyViolation));
    CHECK(adapter.counters().count_of(Malformed::too_deep) == 1);
    CHECK(adapter.counters().count_of(Malformed::invalid_json) == 0);
    CHECK(sink.starts.empty());
  }
  {
    tw::test::RecordingSink sink;
    TwilioStreamAdapter adapter(sink);
    CHECK_FALSE(adapter.on_text("{\"event\": [}").close);  // bad JSON, shallow: counted, the stream goes on
    CHECK(adapter.counters().count_of(Malformed::invalid_json) == 1);
    CHECK(adapter.counters().count_of(Malformed::too_deep) == 0);
  }
}
