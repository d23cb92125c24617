// Asterisk AudioSocket adapter: framed byte stream split anywhere, the slin
// rate table, DTMF, hangup and error, and broken streams.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "support/allocation_counter.h"
#include "support/recording_sink.h"
#include "telephony/audiosocket_adapter.h"

using namespace tw::telephony;
using tw::features::SpeakerRole;
using tw::test::RecordingSink;

namespace {

using Bytes = std::vector<std::uint8_t>;

// One message as the AudioSocket documentation defines it: type, 16-bit big-endian length, payload.
Bytes message(std::uint8_t type, const Bytes& payload) {
  Bytes out(3 + payload.size());
  out[0] = type;
  out[1] = static_cast<std::uint8_t>(payload.size() >> 8);
  out[2] = static_cast<std::uint8_t>(payload.size() & 0xFF);
  std::copy(payload.begin(), payload.end(), out.begin() + 3);
  return out;
}

const Bytes kUuid = {0x3f, 0x2c, 0x4a, 0x51, 0x9b, 0x0e, 0x4c, 0x1d, 0x8a, 0x77, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
const char* kUuidText = "3f2c4a51-9b0e-4c1d-8a77-0123456789ab";

std::vector<std::int16_t> tone(std::size_t n, double freq_hz, int rate_hz, double level) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(std::lround(level * 32767.0 * std::sin(2.0 * M_PI * freq_hz * static_cast<double>(i) / rate_hz)));
  return out;
}

Bytes slin(const std::vector<std::int16_t>& samples, std::size_t from, std::size_t n) {
  Bytes out;
  for (std::size_t i = from; i < from + n; ++i) {
    const auto v = static_cast<std::uint16_t>(samples[i]);
    out.push_back(static_cast<std::uint8_t>(v & 0xFF));  // little-endian
    out.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  return out;
}

std::vector<float> floats(const std::vector<std::int16_t>& samples) {
  std::vector<float> out;
  for (const auto s : samples) out.push_back(static_cast<float>(s) / 32768.0f);
  return out;
}

// A whole call: UUID, 1 s of audio in 20 ms messages with a DTMF in the middle, hangup.
Bytes call_stream(const std::vector<std::int16_t>& audio, std::uint8_t type, std::size_t chunk) {
  Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
  for (std::size_t at = 0; at < audio.size(); at += chunk) {
    const Bytes m = message(type, slin(audio, at, std::min(chunk, audio.size() - at)));
    stream.insert(stream.end(), m.begin(), m.end());
    if (at == chunk * 5) {
      const Bytes d = message(AudioSocketAdapter::kDtmf, {'5'});
      stream.insert(stream.end(), d.begin(), d.end());
    }
  }
  const Bytes h = message(AudioSocketAdapter::kHangup, {});
  stream.insert(stream.end(), h.begin(), h.end());
  return stream;
}

}  // namespace

TEST_CASE("AudioSocket delivers the same audio whether read whole one byte at a time or in random pieces", "[telephony][audiosocket]") {
  const auto audio = tone(8000, 440.0, 8000, 0.5);
  const Bytes stream = call_stream(audio, AudioSocketAdapter::kAudioSlin, 160);
  std::mt19937 rng(7);
  for (const int mode : {0, 1, 2}) {
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::agent);
    AdapterStatus last;
    if (mode == 0) {
      last = adapter.on_bytes(stream);
    } else {
      std::size_t at = 0;
      while (at < stream.size()) {
        const std::size_t n = mode == 1 ? 1 : std::uniform_int_distribution<std::size_t>(1, 700)(rng);
        const std::size_t take = std::min(n, stream.size() - at);
        last = adapter.on_bytes(std::span<const std::uint8_t>(stream.data() + at, take));
        at += take;
        if (last.close) break;
        REQUIRE(at < stream.size());  // only the final hangup may close
      }
    }
    INFO("mode " << mode);
    CHECK((last.close && last.reason == "hangup"));
    REQUIRE(sink.starts.size() == 1);
    CHECK(sink.starts[0].protocol == Protocol::audiosocket);
    CHECK(sink.starts[0].call_id == kUuidText);
    CHECK(sink.starts[0].sample_rate_hz == 8000);
    REQUIRE(sink.starts[0].tracks.size() == 1);
    CHECK(sink.starts[0].tracks[0].channel_roles == std::vector{SpeakerRole::agent});
    CHECK(sink.audio[0] == floats(audio));
    CHECK(sink.discontinuities == 0);
    REQUIRE(sink.dtmf.size() == 1);
    CHECK((sink.dtmf[0].digit == '5' && sink.dtmf[0].at_sample == 6 * 160));
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::stop);
    CHECK(adapter.counters().malformed == 0);
    CHECK(adapter.counters().audio_samples == 8000);
    CHECK(adapter.uuid() == kUuidText);
  }
}

TEST_CASE("AudioSocket higher-rate slin types set the stream rate from Asterisk's table", "[telephony][audiosocket]") {
  const std::pair<std::uint8_t, int> table[] = {{0x10, 8000},  {0x11, 12000}, {0x12, 16000}, {0x13, 24000}, {0x14, 32000},
                                                {0x15, 44100}, {0x16, 48000}, {0x17, 96000}, {0x18, 192000}};
  for (const auto& [type, rate] : table) {
    CHECK(audiosocket_sample_rate_hz(type) == rate);
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    const auto audio = tone(static_cast<std::size_t>(rate / 50) * 3, 1000.0, rate, 0.25);
    const Bytes stream = call_stream(audio, type, static_cast<std::size_t>(rate / 50));
    adapter.on_bytes(stream);
    REQUIRE(sink.starts.size() == 1);
    CHECK(sink.starts[0].sample_rate_hz == rate);
    CHECK(sink.audio[0] == floats(audio));
  }
  CHECK(audiosocket_sample_rate_hz(0x19) == 0);
  CHECK(audiosocket_sample_rate_hz(0x01) == 0);
}

TEST_CASE("AudioSocket error message ends the stream as a peer error naming the code", "[telephony][audiosocket]") {
  RecordingSink sink;
  AudioSocketAdapter adapter(sink, SpeakerRole::caller);
  Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
  const Bytes audio = message(0x10, slin(tone(160, 300.0, 8000, 0.5), 0, 160));
  const Bytes error = message(AudioSocketAdapter::kError, {0x02});
  stream.insert(stream.end(), audio.begin(), audio.end());
  stream.insert(stream.end(), error.begin(), error.end());
  const auto status = adapter.on_bytes(stream);
  CHECK(status.close);
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::peer_error);
  CHECK(sink.ends[0].second == "asterisk reported error 0x02");
  CHECK(adapter.on_bytes(audio).close);  // nothing after the end
}

TEST_CASE("AudioSocket skips unknown types counts odd bytes and refuses broken streams", "[telephony][audiosocket]") {
  const auto samples = tone(160, 300.0, 8000, 0.5);
  {  // unknown type with a payload: skipped, counted, stream goes on
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
    const Bytes unknown = message(0x42, Bytes(300, 0xAB));
    const Bytes audio = message(0x10, slin(samples, 0, 160));
    Bytes odd = message(0x10, slin(samples, 0, 10));
    odd.push_back(0x7F);
    odd[2] = static_cast<std::uint8_t>(odd[2] + 1);  // length includes the odd byte
    for (const Bytes* m : std::initializer_list<const Bytes*>{&unknown, &audio, &odd}) stream.insert(stream.end(), m->begin(), m->end());
    CHECK_FALSE(adapter.on_bytes(stream).close);
    CHECK(adapter.counters().count_of(Malformed::unknown_message) == 1);
    CHECK(adapter.counters().count_of(Malformed::partial_sample) == 1);
    CHECK(sink.audio[0].size() == 170);
  }
  {  // audio before the UUID
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    const auto status = adapter.on_bytes(message(0x10, slin(samples, 0, 160)));
    CHECK((status.close && status.reason == "audio before uuid"));
    CHECK(sink.starts.empty());
  }
  {  // UUID of the wrong size
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    CHECK(adapter.on_bytes(message(AudioSocketAdapter::kUuid, Bytes(15, 1))).close);
  }
  {  // a payload longer than the configured maximum
    RecordingSink sink;
    AudioSocketConfig config;
    config.max_payload_bytes = 640;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller, config);
    adapter.on_bytes(message(AudioSocketAdapter::kUuid, kUuid));
    const Bytes header = {0x10, 0x10, 0x00};  // announces 4096 bytes
    const auto status = adapter.on_bytes(header);
    CHECK((status.close && status.reason == "message length exceeds the maximum payload"));
  }
  {  // the rate changes mid-stream
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
    for (const Bytes& m : {message(0x10, slin(samples, 0, 160)), message(0x12, slin(samples, 0, 160))})
      stream.insert(stream.end(), m.begin(), m.end());
    CHECK(adapter.on_bytes(stream).close);
    REQUIRE(sink.ends.size() == 1);
    CHECK(sink.ends[0].first == EndReason::protocol_error);
  }
  {  // a second, different UUID
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    Bytes other = kUuid;
    other[0] ^= 1;
    Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
    const Bytes second = message(AudioSocketAdapter::kUuid, other);
    stream.insert(stream.end(), second.begin(), second.end());
    CHECK(adapter.on_bytes(stream).close);
  }
  {  // DTMF that is not a digit, and DTMF before any audio
    RecordingSink sink;
    AudioSocketAdapter adapter(sink, SpeakerRole::caller);
    Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
    for (const Bytes& m : {message(AudioSocketAdapter::kDtmf, {'1'}), message(0x10, slin(samples, 0, 160)),
                           message(AudioSocketAdapter::kDtmf, {'Z'}), message(AudioSocketAdapter::kDtmf, {'1', '2'})})
      stream.insert(stream.end(), m.begin(), m.end());
    CHECK_FALSE(adapter.on_bytes(stream).close);
    CHECK(sink.dtmf.empty());
    CHECK(adapter.counters().count_of(Malformed::out_of_order) == 1);
    CHECK(adapter.counters().count_of(Malformed::bad_value) == 2);
  }
}

TEST_CASE("AudioSocket connection lost mid-message counts a truncated message and ends the stream", "[telephony][audiosocket]") {
  RecordingSink sink;
  AudioSocketAdapter adapter(sink, SpeakerRole::caller);
  Bytes stream = message(AudioSocketAdapter::kUuid, kUuid);
  const Bytes audio = message(0x10, slin(tone(320, 300.0, 8000, 0.5), 0, 320));
  stream.insert(stream.end(), audio.begin(), audio.end());
  stream.insert(stream.end(), audio.begin(), audio.begin() + 100);  // cut inside the second message
  CHECK_FALSE(adapter.on_bytes(stream).close);
  adapter.on_disconnect();
  CHECK(adapter.counters().count_of(Malformed::truncated) == 1);
  REQUIRE(sink.ends.size() == 1);
  CHECK(sink.ends[0].first == EndReason::connection_lost);
  CHECK(sink.audio[0].size() == 320);
}

TEST_CASE("AudioSocket audio allocates nothing after warm-up", "[telephony][audiosocket][alloc]") {
  tw::test::CountingSink sink;
  AudioSocketAdapter adapter(sink, SpeakerRole::caller);
  const auto audio = tone(160 * 1100, 440.0, 8000, 0.5);
  adapter.on_bytes(message(AudioSocketAdapter::kUuid, kUuid));
  std::vector<Bytes> messages;
  for (std::size_t i = 0; i < 1100; ++i) messages.push_back(message(0x10, slin(audio, i * 160, 160)));
  for (std::size_t i = 0; i < 100; ++i) adapter.on_bytes(messages[i]);
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (std::size_t i = 100; i < 1100; ++i) {
      // Split each message in two reads, as a socket may deliver it.
      adapter.on_bytes(std::span<const std::uint8_t>(messages[i]).first(100));
      adapter.on_bytes(std::span<const std::uint8_t>(messages[i]).subspan(100));
    }
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
  CHECK(sink.frames == 1100 * 160);
}
