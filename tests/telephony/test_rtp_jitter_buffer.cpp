// The RTP jitter buffer: packets in any order, lost, repeated, late, across wraps and
// source changes, out as a sample-exact track. Known truth: a 440 Hz sine encoded
// here as PCMU (or G.722 octets), sent as 20 ms packets; the ordered stream's output
// is the reference every disturbed one is compared with, sample for sample.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "dsp/g711.h"
#include "dsp/g722_decoder.h"
#include "dsp/halfband_decimator.h"
#include "support/allocation_counter.h"
#include "support/recording_sink.h"
#include "telephony/rtp_jitter_buffer.h"

using namespace tw::telephony;
using tw::test::RecordingSink;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr int kTicks = 160;  // 20 ms at the 8 kHz RTP clock
constexpr std::uint8_t kTelephoneEvent = 101;

Bytes rtp(std::uint8_t payload_type, std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc,
          const Bytes& payload, bool marker = false) {
  // RFC 3550 §5.1: V=2, no padding, extension or CSRC; M and PT; sequence; timestamp; SSRC.
  Bytes out(12 + payload.size());
  out[0] = 0x80;
  out[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | payload_type);
  for (int i = 0; i < 2; ++i) out[static_cast<std::size_t>(2 + i)] = static_cast<std::uint8_t>(sequence >> (8 * (1 - i)));
  for (int i = 0; i < 4; ++i) {
    out[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(timestamp >> (8 * (3 - i)));
    out[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(ssrc >> (8 * (3 - i)));
  }
  std::copy(payload.begin(), payload.end(), out.begin() + 12);
  return out;
}

// `n` µ-law octets of a 440 Hz sine at half scale, from sample `from` on.
Bytes pcmu_sine(std::size_t from, std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = 0.5 * 32767.0 * std::sin(2.0 * M_PI * 440.0 * static_cast<double>(from + i) / 8000.0);
    out[i] = tw::dsp::linear_to_mulaw(static_cast<std::int16_t>(std::lround(v)));
  }
  return out;
}

std::vector<float> decode_pcmu(const Bytes& octets) {
  std::vector<float> out;
  for (const auto o : octets) out.push_back(static_cast<float>(tw::dsp::mulaw_to_linear(o)) / 32768.0f);
  return out;
}

// A stream of `count` 20 ms PCMU packets from sequence `seq0` and timestamp `ts0`.
struct Stream {
  std::vector<Bytes> packets;
  Bytes octets;  // every payload, in order
};

Stream pcmu_stream(int count, std::uint16_t seq0 = 1000, std::uint32_t ts0 = 50000, std::uint32_t ssrc = 0x1234) {
  Stream s;
  s.octets = pcmu_sine(0, static_cast<std::size_t>(count) * kTicks);
  for (int k = 0; k < count; ++k) {
    const Bytes payload(s.octets.begin() + k * kTicks, s.octets.begin() + (k + 1) * kTicks);
    s.packets.push_back(rtp(0, static_cast<std::uint16_t>(seq0 + k), ts0 + static_cast<std::uint32_t>(k * kTicks), ssrc, payload, k == 0));
  }
  return s;
}

void start(RecordingSink& sink, int rate_hz = 8000) {
  StreamStart s;
  s.protocol = Protocol::twilio;  // any: the buffer never reads it
  s.sample_rate_hz = rate_hz;
  s.tracks.push_back(TrackInfo{"caller", {tw::features::SpeakerRole::caller}});
  sink.on_stream_start(s);
}

// Feeds packets in the order given by `order`, each arriving at the time its position
// in that order says (20 ms apart), then flushes.
void feed(RtpJitterBuffer& buffer, const std::vector<Bytes>& packets, const std::vector<std::size_t>& order) {
  for (std::size_t k = 0; k < order.size(); ++k) buffer.on_datagram(packets[order[k]], static_cast<std::int64_t>(k) * kTicks);
  buffer.flush();
}

std::vector<std::size_t> in_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::int64_t total_frames(const RecordingSink& sink) {
  const auto it = sink.audio.find(0);
  return it == sink.audio.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

}  // namespace

TEST_CASE("A PCMU sine sent in order comes out sample for sample and is held back only for the first depth", "[rtp]") {
  RecordingSink sink;
  start(sink);
  RtpJitterConfig config;
  config.depth_ms = 60;
  RtpJitterBuffer buffer(sink, config);
  const Stream s = pcmu_stream(50);
  for (std::size_t k = 0; k < s.packets.size(); ++k) {
    buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
    const auto received = static_cast<std::int64_t>(k + 1) * kTicks;
    if (received <= 480) {
      // The alignment's first 60 ms (480 samples) are held, for a packet reordered at the start.
      REQUIRE(buffer.next_sample() == 0);
      REQUIRE(buffer.held_samples() == received);
    } else {
      // Then every packet that continues the stream goes out as it comes: no play-out delay.
      REQUIRE(buffer.next_sample() == received);
      REQUIRE(buffer.held_samples() == 0);
    }
  }
  buffer.flush();
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(sink.gaps.empty());
  CHECK(sink.discontinuities == 0);
  CHECK(buffer.counters().audio_packets == 50);
  CHECK(buffer.counters().lost_packets == 0);
  CHECK(buffer.counters().audio_samples == 50 * kTicks);
}

TEST_CASE("Audio after a missing RTP packet waits for it up to the depth / then the hole is lost and the rest goes out",
          "[rtp]") {
  RecordingSink sink;
  start(sink);
  RtpJitterConfig config;
  config.depth_ms = 60;  // 3 packets
  RtpJitterBuffer buffer(sink, config);
  const Stream s = pcmu_stream(20);
  std::size_t fed = 0;
  for (std::size_t k = 0; k < 20; ++k) {
    if (k == 10) continue;  // lost
    buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(fed++) * kTicks);
    if (k == 11 || k == 12) REQUIRE(buffer.next_sample() == 10 * kTicks);  // waiting for packet 10
    if (k == 13) REQUIRE(buffer.next_sample() == 14 * kTicks);             // 60 ms past the hole: lost, the rest out
  }
  buffer.flush();
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 10 * kTicks);
  CHECK(sink.gaps[0].frames == kTicks);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::lost);
  CHECK(buffer.counters().lost_packets == 1);
}

TEST_CASE("PCMU packets shuffled within the depth give exactly the samples of the ordered stream", "[rtp]") {
  const Stream s = pcmu_stream(200);
  // Each packet at most 2 places from its own (the 80 ms depth takes up to 3).
  std::mt19937 rng(24);
  std::vector<std::size_t> order = in_order(s.packets.size());
  for (std::size_t block = 0; block + 3 <= order.size(); block += 3) std::shuffle(order.begin() + block, order.begin() + block + 3, rng);
  REQUIRE(order != in_order(s.packets.size()));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(sink.gaps.empty());
  CHECK(sink.discontinuities == 0);
  CHECK(buffer.counters().late_packets == 0);
  CHECK(buffer.counters().lost_packets == 0);
}

TEST_CASE("RTP packets earlier than the first one to arrive still find their place before play-out starts", "[rtp]") {
  // Packet 2 arrives first, 50 ms into the call; packets 0 and 1 come just after it.
  const Stream s = pcmu_stream(50);
  std::vector<std::size_t> order = {2, 0, 1};
  for (std::size_t k = 3; k < 50; ++k) order.push_back(k);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < order.size(); ++k) buffer.on_datagram(s.packets[order[k]], 400 + static_cast<std::int64_t>(k) * kTicks);
  buffer.flush();
  // Packet 2 sits at its arrival time (400), so packet 0 starts 320 samples earlier.
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 0);
  CHECK(sink.gaps[0].frames == 80);
  CHECK(std::vector<float>(sink.audio[0].begin() + 80, sink.audio[0].end()) == decode_pcmu(s.octets));
  CHECK(buffer.counters().late_packets == 0);
  // The time before the stream's first packet: not sent yet, not lost.
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::discarded);
  CHECK(buffer.counters().start_offset_samples == 80);
  CHECK(buffer.counters().realign_samples == 0);
  CHECK(buffer.counters().lost_samples == 0);
}

TEST_CASE("An earlier RTP packet after the hole before the stream was delivered keeps the stream contiguous", "[rtp]") {
  // Found by fuzz_rtp: the first packet (empty) sets the alignment 400 samples in, a
  // flush delivers that hole, then an earlier packet must not take time back from it.
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  buffer.on_datagram(rtp(0, 10, 1000, 0x1234, Bytes{}), 400);
  buffer.flush();
  buffer.on_datagram(rtp(0, 9, 1000 - kTicks, 0x1234, pcmu_sine(0, kTicks)), 420);
  buffer.on_datagram(rtp(0, 11, 1000, 0x1234, pcmu_sine(kTicks, kTicks)), 440);
  buffer.flush();
  CHECK(sink.discontinuities == 0);
  CHECK(buffer.next_sample() == total_frames(sink));
  CHECK(buffer.next_sample() == 400 + 2 * kTicks);
}

TEST_CASE("Dropped RTP packets become lost gaps of exactly their length and are counted", "[rtp]") {
  const Stream s = pcmu_stream(100);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < s.packets.size(); ++k)
    if (k != 10 && k != 40 && k != 41) order.push_back(k);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);

  REQUIRE(sink.gaps.size() == 2);
  CHECK(sink.gaps[0].first_sample == 10 * kTicks);
  CHECK(sink.gaps[0].frames == kTicks);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::lost);
  CHECK(sink.gaps[1].first_sample == 40 * kTicks);
  CHECK(sink.gaps[1].frames == 2 * kTicks);
  CHECK(buffer.counters().lost_packets == 3);
  CHECK(buffer.counters().lost_samples == 3 * kTicks);
  CHECK(sink.discontinuities == 0);
  // Everything else is the sine itself, in its place.
  std::vector<float> expected = decode_pcmu(s.octets);
  for (const int k : {10, 40, 41}) std::fill_n(expected.begin() + k * kTicks, kTicks, 0.0f);
  CHECK(sink.audio[0] == expected);
}

TEST_CASE("Duplicate RTP packets are counted and dropped and leave the audio unchanged", "[rtp]") {
  const Stream s = pcmu_stream(100);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < s.packets.size(); ++k) {
    order.push_back(k);
    if (k % 10 == 3) order.push_back(k);      // repeated at once
    if (k % 25 == 24) order.push_back(k - 20);  // repeated long after it was played
  }
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);
  CHECK(buffer.counters().duplicate_packets == 10 + 4);
  CHECK(buffer.counters().late_packets == 0);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(sink.gaps.empty());
}

TEST_CASE("An RTP packet arriving after its time was played out is counted late and dropped", "[rtp]") {
  const Stream s = pcmu_stream(60);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < s.packets.size(); ++k) {
    if (k == 20) continue;
    order.push_back(k);
    if (k == 30) order.push_back(20);  // 10 packets (200 ms) late: beyond the 80 ms depth
  }
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);
  CHECK(buffer.counters().late_packets == 1);
  CHECK(buffer.counters().lost_packets == 0);  // it came: too late, not lost
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 20 * kTicks);
  CHECK(sink.gaps[0].frames == kTicks);
  CHECK(total_frames(sink) == 60 * kTicks);
  std::vector<float> expected = decode_pcmu(s.octets);
  std::fill_n(expected.begin() + 20 * kTicks, kTicks, 0.0f);
  CHECK(sink.audio[0] == expected);
}

TEST_CASE("RTP sequence numbers wrapping from 65535 to 0 keep order loss and duplicate detection", "[rtp]") {
  const Stream s = pcmu_stream(40, 65520);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < s.packets.size(); ++k) {
    if (k == 16) continue;  // sequence number 0 is lost
    order.push_back(k);
  }
  std::swap(order[14], order[15]);   // 65534 and 65535 swapped
  std::swap(order[16], order[17]);   // 2 before 1
  order.push_back(order[18]);        // and one duplicate after the wrap
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);
  CHECK(buffer.counters().lost_packets == 1);
  CHECK(buffer.counters().duplicate_packets == 1);
  CHECK(buffer.counters().sequence_resyncs == 0);
  CHECK(buffer.counters().timestamp_jumps == 0);
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 16 * kTicks);
  CHECK(total_frames(sink) == 40 * kTicks);
}

TEST_CASE("RTP timestamps wrapping at 2 to the 32 keep the stream sample-exact", "[rtp]") {
  const Stream s = pcmu_stream(40, 7, 0xFFFFFFFFu - 5 * kTicks - 79);  // packet 5 starts 80 ticks before the wrap
  std::mt19937 rng(32);
  std::vector<std::size_t> order = in_order(s.packets.size());
  for (std::size_t block = 0; block + 3 <= order.size(); block += 3) std::shuffle(order.begin() + block, order.begin() + block + 3, rng);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, order);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(buffer.counters().timestamp_jumps == 0);
  CHECK(sink.gaps.empty());
}

TEST_CASE("An SSRC change mid-stream starts a new alignment and keeps the stream's length equal to arrival time", "[rtp]") {
  // Source A: 1 s from arrival 0. Then the SBC re-forks: source B, with its own
  // sequence and timestamp spaces, starts arriving 1.5 s into the call, for 1 s.
  const Stream a = pcmu_stream(50, 100, 1000, 0xAAAA);
  const Stream b = pcmu_stream(50, 40000, 3000000000u, 0xBBBB);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 50; ++k) buffer.on_datagram(a.packets[k], static_cast<std::int64_t>(k) * kTicks);
  const std::int64_t b_start = 12000;
  for (std::size_t k = 0; k < 50; ++k) {
    buffer.on_datagram(b.packets[k], b_start + static_cast<std::int64_t>(k) * kTicks);
    if (k == 5) buffer.on_datagram(a.packets[49], b_start + 5 * kTicks);  // A still in flight: stale
  }
  buffer.flush();
  const std::int64_t last_arrival_end = b_start + 50 * kTicks;
  CHECK(buffer.next_sample() == last_arrival_end);
  CHECK(total_frames(sink) == last_arrival_end);
  CHECK(buffer.counters().ssrc_changes == 1);
  CHECK(buffer.counters().stale_ssrc_packets == 1);
  CHECK(buffer.counters().realign_samples == 12000 - 50 * kTicks);
  CHECK(buffer.counters().audio_samples == 100 * kTicks);
  CHECK(buffer.counters().lost_packets == 0);
  CHECK(sink.discontinuities == 0);
  // B's first sample sits at its arrival time.
  const auto& track = sink.audio[0];
  const std::vector<float> b_audio = decode_pcmu(b.octets);
  CHECK(std::vector<float>(track.begin() + b_start, track.end()) == b_audio);
}

TEST_CASE("An RTP source that comes back after another took over is a new alignment not a stale one", "[rtp]") {
  // A for 0.5 s, B for 0.5 s, then A again (a transfer back), each continuing its own numbering.
  const Stream a = pcmu_stream(50, 100, 1000, 0xAAAA);
  const Stream b = pcmu_stream(25, 40000, 3000000000u, 0xBBBB);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  std::int64_t now = 0;
  for (std::size_t k = 0; k < 25; ++k, now += kTicks) buffer.on_datagram(a.packets[k], now);
  for (std::size_t k = 0; k < 25; ++k, now += kTicks) buffer.on_datagram(b.packets[k], now);
  for (std::size_t k = 25; k < 50; ++k, now += kTicks) buffer.on_datagram(a.packets[k], now);
  buffer.flush();
  CHECK(buffer.counters().ssrc_changes == 2);
  CHECK(buffer.counters().stale_ssrc_packets == 0);
  CHECK(buffer.counters().audio_samples == 75 * kTicks);
  CHECK(buffer.next_sample() == 75 * kTicks);
  CHECK(sink.gaps.empty());
}

TEST_CASE("Two RTP streams of one call fed the same arrival clock stay aligned with each other", "[rtp]") {
  // The caller's stream starts at once; the agent's first packet arrives 300 ms later.
  // Both then run 2 s with jitter. The agent's audio must start at 300 ms on the
  // shared clock, and both tracks must end at the same position.
  const Stream caller = pcmu_stream(100, 1, 12345, 0xCA11);
  const Stream agent = pcmu_stream(85, 9000, 777777, 0xA6E7);
  RecordingSink sink;
  StreamStart s;
  s.sample_rate_hz = 8000;
  s.tracks.push_back(TrackInfo{"caller", {tw::features::SpeakerRole::caller}});
  s.tracks.push_back(TrackInfo{"agent", {tw::features::SpeakerRole::agent}});
  sink.on_stream_start(s);
  RtpJitterConfig caller_config, agent_config;
  agent_config.track = 1;
  RtpJitterBuffer caller_buffer(sink, caller_config);
  RtpJitterBuffer agent_buffer(sink, agent_config);
  std::mt19937 rng(2);
  for (std::size_t k = 0; k < 100; ++k) {
    const std::int64_t now = static_cast<std::int64_t>(k) * kTicks;
    caller_buffer.on_datagram(caller.packets[k], now + static_cast<std::int64_t>(rng() % 40));
    if (k >= 15) agent_buffer.on_datagram(agent.packets[k - 15], now + static_cast<std::int64_t>(rng() % 40));
  }
  caller_buffer.flush();
  agent_buffer.flush();
  // Each stream is anchored at its first packet's arrival, so the two agree to within
  // that packet's jitter (under 40 samples here).
  CHECK(std::abs(caller_buffer.next_sample() - agent_buffer.next_sample()) < 40);
  const auto& agent_track = sink.audio[1];
  // Up to the jitter of the agent's first packet (under 40 samples, 5 ms) late.
  const auto first_audio = std::find_if(sink.blocks.begin(), sink.blocks.end(), [](const auto& b) { return b.track == 1 && !b.filled; });
  REQUIRE(first_audio != sink.blocks.end());
  CHECK(first_audio->first_sample >= 15 * kTicks);
  CHECK(first_audio->first_sample < 15 * kTicks + 40);
  CHECK(static_cast<std::int64_t>(agent_track.size()) == agent_buffer.next_sample());
  // The 300 ms before the agent's first packet were not sent yet, not lost.
  CHECK(agent_buffer.counters().lost_samples == 0);
  CHECK(agent_buffer.counters().start_offset_samples == static_cast<std::uint64_t>(first_audio->first_sample));
  REQUIRE_FALSE(sink.gaps.empty());
  const auto first_gap = std::find_if(sink.gaps.begin(), sink.gaps.end(), [](const auto& g) { return g.track == 1; });
  REQUIRE(first_gap != sink.gaps.end());
  CHECK(first_gap->first_sample == 0);
  CHECK(first_gap->kind == tw::dsp::GapKind::discarded);
}

TEST_CASE("An RTP timestamp jump of more than 10 s ahead starts a new alignment at the arrival time", "[rtp]") {
  Stream s = pcmu_stream(40);
  // From packet 20 on the sender's timestamps are 60 s further on, though only 20 ms passed.
  for (std::size_t k = 20; k < 40; ++k)
    s.packets[k] = rtp(0, static_cast<std::uint16_t>(1000 + k), 50000 + static_cast<std::uint32_t>(k * kTicks + 480000),
                       0x1234, Bytes(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks)));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, in_order(40));
  CHECK(buffer.counters().timestamp_jumps == 1);
  CHECK(buffer.next_sample() == 40 * kTicks);  // not 60 s of gap
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
}

TEST_CASE("An RTP timestamp gap under the jump bound becomes a lost gap of exactly its length", "[rtp]") {
  // Sequence numbers run on but the timestamps skip 2 s: a sender that suppressed its
  // silence without sending comfort noise.
  Stream s = pcmu_stream(40);
  for (std::size_t k = 20; k < 40; ++k)
    s.packets[k] = rtp(0, static_cast<std::uint16_t>(1000 + k), 50000 + static_cast<std::uint32_t>(k * kTicks + 16000),
                       0x1234, Bytes(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks)));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 40; ++k) buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks + (k >= 20 ? 16000 : 0));
  buffer.flush();
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 20 * kTicks);
  CHECK(sink.gaps[0].frames == 16000);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::lost);
  CHECK(buffer.counters().lost_packets == 0);
  CHECK(buffer.counters().timestamp_jumps == 0);
  CHECK(buffer.next_sample() == 40 * kTicks + 16000);
}

TEST_CASE("A declared pause (hold) turns the silence up to the next audio into a paused gap of the sender's exact length",
          "[rtp][siprec]") {
  // 1 s of audio, a hold of 30 s (more than the 10 s jump bound) during which the sender
  // sends nothing while its clock runs on (RFC 3550 §5.1), then 1 s more. The arrival
  // clock says only 0.3 s passed (a test sending ten times faster than real time): the
  // sender's timestamps measure a declared pause, not the arrival clock.
  constexpr std::uint32_t kHoldTicks = 30 * 8000;
  Stream s = pcmu_stream(100);
  for (std::size_t k = 50; k < 100; ++k)
    s.packets[k] = rtp(0, static_cast<std::uint16_t>(1000 + k), 50000 + static_cast<std::uint32_t>(k * kTicks) + kHoldTicks,
                       0x1234, Bytes(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks)));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 50; ++k) buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
  buffer.declare_pause();
  for (std::size_t k = 50; k < 100; ++k) buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks + 2400);
  buffer.flush();
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 50 * kTicks);
  CHECK(sink.gaps[0].frames == kHoldTicks);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::paused);
  CHECK(buffer.counters().pauses == 1);
  CHECK(buffer.counters().timestamp_jumps == 0);
  CHECK(buffer.counters().lost_samples == 0);
  CHECK(buffer.counters().declared_samples == kHoldTicks);
  CHECK(buffer.next_sample() == 100 * kTicks + kHoldTicks);
  // The audio either side is the sender's, sample for sample.
  std::vector<float> audio = sink.audio[0];
  audio.erase(audio.begin() + 50 * kTicks, audio.begin() + 50 * kTicks + kHoldTicks);
  CHECK(audio == decode_pcmu(s.octets));

  SECTION("Without the declaration the same silence is a new alignment on the arrival clock") {
    RecordingSink plain;
    start(plain);
    RtpJitterBuffer undeclared(plain, RtpJitterConfig{});
    for (std::size_t k = 0; k < 100; ++k)
      undeclared.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks + (k >= 50 ? 2400 : 0));
    undeclared.flush();
    CHECK(undeclared.counters().timestamp_jumps == 1);
    for (const auto& gap : plain.gaps) CHECK(gap.kind == tw::dsp::GapKind::lost);
  }
  SECTION("After the next audio a later silence is lost again") {
    RecordingSink after;
    start(after);
    RtpJitterBuffer again(after, RtpJitterConfig{});
    for (std::size_t k = 0; k < 50; ++k) again.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
    again.declare_pause();
    for (std::size_t k = 50; k < 70; ++k) again.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks + 2400);
    for (std::size_t k = 80; k < 100; ++k) again.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks + 2400);
    again.flush();
    REQUIRE(after.gaps.size() == 2);
    CHECK(after.gaps[0].kind == tw::dsp::GapKind::paused);
    CHECK(after.gaps[1].kind == tw::dsp::GapKind::lost);
    CHECK(after.gaps[1].frames == 10 * kTicks);
  }
}

TEST_CASE("An RTP timestamp that goes back with sequence numbers in order starts a new alignment and drops nothing", "[rtp]") {
  Stream s = pcmu_stream(40);
  for (std::size_t k = 20; k < 40; ++k)
    s.packets[k] = rtp(0, static_cast<std::uint16_t>(1000 + k), 50000 + static_cast<std::uint32_t>(k * kTicks) - 40000,
                       0x1234, Bytes(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks)));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, in_order(40));
  CHECK(buffer.counters().timestamp_jumps == 1);
  CHECK(buffer.counters().late_packets == 0);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(buffer.next_sample() == 40 * kTicks);
}

TEST_CASE("RTCP arriving on the RTP port is counted and never becomes audio", "[rtp]") {
  const Stream s = pcmu_stream(30);
  Bytes sender_report = {0x80, 200, 0, 6};
  sender_report.resize(28, 0);
  const Bytes receiver_report = {0x80, 201, 0, 1, 0, 0, 0, 7};
  const Bytes bye = {0x81, 203, 0, 1, 0, 0, 0x12, 0x34};
  const Bytes broken = {0x80, 201, 0, 40, 1, 2};
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 30; ++k) {
    buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
    if (k % 10 == 0) buffer.on_datagram(sender_report, static_cast<std::int64_t>(k) * kTicks);
    if (k % 10 == 5) buffer.on_datagram(receiver_report, static_cast<std::int64_t>(k) * kTicks);
  }
  buffer.on_datagram(broken, 30 * kTicks);
  buffer.on_datagram(bye, 30 * kTicks);
  buffer.flush();
  CHECK(buffer.counters().rtcp_packets == 3 + 3 + 2);
  CHECK(buffer.counters().rtcp_malformed == 1);
  CHECK(buffer.counters().rtcp_byes == 1);
  CHECK(buffer.counters().rtp_packets == 30);
  CHECK(buffer.counters().malformed == 0);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
}

TEST_CASE("Comfort noise declares the silence up to the next audio as a discarded gap not a loss", "[rtp]") {
  const Stream s = pcmu_stream(40);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 20; ++k) buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
  // RFC 3389: CN (PT 13) with a noise level octet at the start of a 1 s silence.
  buffer.on_datagram(rtp(13, 1020, 50000 + 20 * kTicks, 0x1234, Bytes{40}), 20 * kTicks);
  for (std::size_t k = 20; k < 40; ++k)
    buffer.on_datagram(rtp(0, static_cast<std::uint16_t>(1001 + k), 50000 + static_cast<std::uint32_t>(k * kTicks + 8000), 0x1234,
                           Bytes(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks))),
                       static_cast<std::int64_t>(k) * kTicks + 8000);
  buffer.flush();
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 20 * kTicks);
  CHECK(sink.gaps[0].frames == 8000);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::discarded);
  CHECK(buffer.counters().comfort_noise_packets == 1);
  CHECK(buffer.counters().declared_samples == 8000);
  CHECK(buffer.counters().lost_samples == 0);
  CHECK(buffer.counters().lost_packets == 0);
  CHECK(buffer.next_sample() == 40 * kTicks + 8000);
}

TEST_CASE("telephone-event packets report one DTMF digit per event and never become audio", "[rtp]") {
  const Stream s = pcmu_stream(40);
  RtpJitterConfig config;
  config.telephone_event_payload_type = kTelephoneEvent;
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, config);
  // RFC 4733: digit '5' starting at packet 10's timestamp, updates every 20 ms while
  // audio keeps flowing, the end packet three times; then '#' at packet 30.
  const auto event = [](std::uint8_t code, bool end, std::uint16_t duration) {
    return Bytes{code, static_cast<std::uint8_t>((end ? 0x80 : 0) | 10), static_cast<std::uint8_t>(duration >> 8),
                 static_cast<std::uint8_t>(duration)};
  };
  std::uint16_t seq = 5000;
  for (std::size_t k = 0; k < 40; ++k) {
    const auto now = static_cast<std::int64_t>(k) * kTicks;
    buffer.on_datagram(s.packets[k], now);
    if (k >= 10 && k < 14) buffer.on_datagram(rtp(kTelephoneEvent, seq++, 50000 + 10 * kTicks, 0x1234, event(5, false, static_cast<std::uint16_t>((k - 9) * kTicks)), k == 10), now);
    if (k == 14)
      for (int r = 0; r < 3; ++r) buffer.on_datagram(rtp(kTelephoneEvent, seq++, 50000 + 10 * kTicks, 0x1234, event(5, true, 5 * kTicks)), now);
    if (k == 30) buffer.on_datagram(rtp(kTelephoneEvent, seq++, 50000 + 30 * kTicks, 0x1234, event(11, true, kTicks), true), now);
  }
  buffer.flush();
  REQUIRE(sink.dtmf.size() == 2);
  CHECK(sink.dtmf[0].digit == '5');
  CHECK(sink.dtmf[0].at_sample == 10 * kTicks);
  CHECK(sink.dtmf[0].track == 0);
  CHECK(sink.dtmf[1].digit == '#');
  CHECK(sink.dtmf[1].at_sample == 30 * kTicks);
  CHECK(buffer.counters().telephone_event_packets == 8);
  CHECK(buffer.counters().dtmf_digits == 2);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(sink.gaps.empty());
}

TEST_CASE("A telephone event sent instead of audio leaves a discarded gap not a loss", "[rtp]") {
  const Stream s = pcmu_stream(30);
  RtpJitterConfig config;
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, config);
  std::uint16_t seq = 1000;
  for (std::size_t k = 0; k < 30; ++k) {
    const auto now = static_cast<std::int64_t>(k) * kTicks;
    if (k >= 10 && k < 15) {  // the sender mutes audio for the tone: 100 ms of event
      const auto duration = static_cast<std::uint16_t>((k - 9) * kTicks);
      buffer.on_datagram(rtp(kTelephoneEvent, seq++, 50000 + 10 * kTicks, 0x1234,
                             Bytes{1, static_cast<std::uint8_t>(k == 14 ? 0x8A : 0x0A), static_cast<std::uint8_t>(duration >> 8), static_cast<std::uint8_t>(duration)}),
                         now);
    } else {
      const Bytes payload(s.octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), s.octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks));
      buffer.on_datagram(rtp(0, seq++, 50000 + static_cast<std::uint32_t>(k * kTicks), 0x1234, payload), now);
    }
  }
  buffer.flush();
  REQUIRE(sink.gaps.size() == 1);
  CHECK(sink.gaps[0].first_sample == 10 * kTicks);
  CHECK(sink.gaps[0].frames == 5 * kTicks);
  CHECK(sink.gaps[0].kind == tw::dsp::GapKind::discarded);
  CHECK(buffer.counters().lost_packets == 0);
  REQUIRE(sink.dtmf.size() == 1);
  CHECK(sink.dtmf[0].digit == '1');
}

TEST_CASE("G.722 RTP packets decode to 16 kHz at two samples per RTP clock tick even when reordered", "[rtp][g722]") {
  // G.722: 160 octets per 20 ms packet, timestamps 160 apart (RFC 3551 §4.5.2), 320 samples.
  std::mt19937 rng(722);
  Bytes octets(100 * kTicks);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  std::vector<Bytes> packets;
  for (std::size_t k = 0; k < 100; ++k)
    packets.push_back(rtp(9, static_cast<std::uint16_t>(k), static_cast<std::uint32_t>(k * kTicks), 0x722,
                          Bytes(octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks))));
  std::vector<std::size_t> order = in_order(100);
  for (std::size_t block = 0; block + 3 <= order.size(); block += 3) std::shuffle(order.begin() + block, order.begin() + block + 3, rng);

  RtpJitterConfig config;
  config.sample_rate_hz = 16000;
  RecordingSink sink;
  start(sink, 16000);
  RtpJitterBuffer buffer(sink, config);
  for (std::size_t k = 0; k < order.size(); ++k) buffer.on_datagram(packets[order[k]], static_cast<std::int64_t>(k) * 2 * kTicks);
  buffer.flush();

  std::vector<float> expected(octets.size() * 2);
  tw::dsp::G722Decoder decoder;
  decoder.decode(octets, std::span<float>(expected));
  CHECK(sink.audio[0] == expected);
  CHECK(buffer.next_sample() == 100 * 2 * kTicks);
}

TEST_CASE("G.722 RTP packets in an 8 kHz stream are decoded and brought down to one sample per tick / G.711 in a 16 kHz one is dropped",
          "[rtp][g722]") {
  std::mt19937 rng(7228);
  Bytes octets(60 * kTicks);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  std::vector<Bytes> packets;
  for (std::size_t k = 0; k < 60; ++k)
    packets.push_back(rtp(9, static_cast<std::uint16_t>(k), static_cast<std::uint32_t>(k * kTicks), 0x722,
                          Bytes(octets.begin() + static_cast<std::ptrdiff_t>(k * kTicks), octets.begin() + static_cast<std::ptrdiff_t>((k + 1) * kTicks))));
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});  // 8 kHz
  feed(buffer, packets, in_order(60));
  // Exactly the 16 kHz decode through the decimator: one sample per RTP tick.
  std::vector<float> wide(octets.size() * 2), expected(octets.size());
  tw::dsp::G722Decoder decoder;
  decoder.decode(octets, std::span<float>(wide));
  tw::dsp::HalfbandDecimator decimator(wide.size());
  decimator.process(wide, expected);
  // Random octets decode to near full-scale noise, on which the low-pass overshoots:
  // the buffer saturates at full scale, as a codec would, and changes nothing else.
  const auto overshoots = std::count_if(expected.begin(), expected.end(), [](float v) { return std::abs(v) > 1.0f; });
  REQUIRE(overshoots > 0);
  for (float& v : expected) v = std::clamp(v, -1.0f, 1.0f);
  CHECK(sink.audio[0] == expected);
  CHECK(buffer.next_sample() == 60 * kTicks);
  CHECK(buffer.counters().unsupported_packets == 0);

  // The other way round is not converted: PCMU in a 16 kHz stream is counted and becomes a gap.
  const Stream pcmu = pcmu_stream(10);
  RecordingSink wideband;
  start(wideband, 16000);
  RtpJitterConfig config;
  config.sample_rate_hz = 16000;
  RtpJitterBuffer g722_only(wideband, config);
  feed(g722_only, pcmu.packets, in_order(10));
  CHECK(g722_only.counters().unsupported_packets == 10);
  CHECK(wideband.audio[0].empty());
}

TEST_CASE("Packets of an unknown type or with an oversize or empty payload are counted and their time becomes a lost gap", "[rtp]") {
  Stream s = pcmu_stream(30);
  s.packets[5] = rtp(0, 1005, 50000 + 5 * kTicks, 0x1234, Bytes(2000, 0xFF));        // 250 ms: over max_packet_ms
  s.packets[10] = rtp(3, 1010, 50000 + 10 * kTicks, 0x1234, Bytes(33, 0x55));        // GSM: not supported
  s.packets[20] = rtp(18, 1020, 50000 + 20 * kTicks, 0x1234, Bytes(20, 0x11));       // G.729: not supported
  s.packets[25] = rtp(0, 1025, 50000 + 25 * kTicks, 0x1234, Bytes{});                // no payload
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  feed(buffer, s.packets, in_order(30));
  CHECK(buffer.counters().unsupported_packets == 2);
  CHECK(buffer.counters().oversize_packets == 1);
  CHECK(buffer.counters().empty_packets == 1);
  CHECK(buffer.counters().lost_packets == 0);  // they all came
  REQUIRE(sink.gaps.size() == 4);
  CHECK(sink.gaps[0].first_sample == 5 * kTicks);
  CHECK(sink.gaps[1].first_sample == 10 * kTicks);
  CHECK(sink.gaps[2].first_sample == 20 * kTicks);
  CHECK(sink.gaps[3].first_sample == 25 * kTicks);
  CHECK(buffer.counters().lost_samples == 4 * kTicks);
  CHECK(buffer.next_sample() == 30 * kTicks);
}

TEST_CASE("Malformed RTP datagrams are counted by reason and change nothing", "[rtp]") {
  const Stream s = pcmu_stream(20);
  RecordingSink sink;
  start(sink);
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 20; ++k) {
    buffer.on_datagram(s.packets[k], static_cast<std::int64_t>(k) * kTicks);
    if (k == 3) buffer.on_datagram(Bytes{0x80, 0, 1}, 0);                                      // too short
    if (k == 4) buffer.on_datagram(Bytes{0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 0);            // version 1
    if (k == 5) buffer.on_datagram(Bytes{0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0}, 0);      // padding count 0
    if (k == 6) buffer.on_datagram(Bytes{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 9}, 0);  // extension past the end
  }
  buffer.flush();
  CHECK(buffer.counters().malformed == 4);
  CHECK(buffer.counters().count_of(RtpError::too_short) == 1);
  CHECK(buffer.counters().count_of(RtpError::bad_version) == 1);
  CHECK(buffer.counters().count_of(RtpError::bad_padding) == 1);
  CHECK(buffer.counters().count_of(RtpError::extension_overrun) == 1);
  CHECK(buffer.counters().rtp_packets == 20);
  CHECK(sink.audio[0] == decode_pcmu(s.octets));
  CHECK(sink.gaps.empty());
}

TEST_CASE("An RTP jitter buffer after reset behaves exactly like a fresh one", "[rtp]") {
  const Stream s = pcmu_stream(60);
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < 60; ++k)
    if (k % 7 != 3) order.push_back(k);
  std::swap(order[5], order[6]);
  RecordingSink first_sink, fresh_sink;
  start(first_sink);
  start(fresh_sink);
  RtpJitterBuffer used(first_sink, RtpJitterConfig{});
  feed(used, s.packets, order);
  used.reset();
  CHECK(used.counters().rtp_packets == 0);
  CHECK(used.next_sample() == 0);
  CHECK_FALSE(used.started());
  // What the used buffer hands on after its reset, against a fresh buffer's output.
  const std::size_t before = first_sink.audio[0].size();
  feed(used, s.packets, order);
  RtpJitterBuffer fresh(fresh_sink, RtpJitterConfig{});
  feed(fresh, s.packets, order);
  CHECK(std::vector<float>(first_sink.audio[0].begin() + static_cast<std::ptrdiff_t>(before), first_sink.audio[0].end()) == fresh_sink.audio[0]);
  CHECK(used.counters().lost_packets == fresh.counters().lost_packets);
  CHECK(used.counters().gaps == fresh.counters().gaps);
  CHECK(used.next_sample() == fresh.next_sample());
}

TEST_CASE("Bad RTP jitter buffer configuration is rejected with the field named", "[rtp]") {
  RecordingSink sink;
  const auto rejects = [&](auto change, const char* field) {
    RtpJitterConfig config;
    change(config);
    CHECK_THROWS_WITH(RtpJitterBuffer(sink, config), Catch::Contains(field));
  };
  rejects([](RtpJitterConfig& c) { c.sample_rate_hz = 44100; }, "sample_rate_hz");
  rejects([](RtpJitterConfig& c) { c.depth_ms = 5; }, "depth_ms");
  rejects([](RtpJitterConfig& c) { c.depth_ms = 5000; }, "depth_ms");
  rejects([](RtpJitterConfig& c) { c.max_packet_ms = 0; }, "max_packet_ms");
  rejects([](RtpJitterConfig& c) { c.telephone_event_payload_type = 13; }, "telephone_event_payload_type");
  rejects([](RtpJitterConfig& c) { c.telephone_event_payload_type = 200; }, "telephone_event_payload_type");
  rejects([](RtpJitterConfig& c) { c.max_forward_jump_s = 0.5; }, "max_forward_jump_s");
  rejects([](RtpJitterConfig& c) { c.max_forward_jump_s = std::nan(""); }, "max_forward_jump_s");
  rejects([](RtpJitterConfig& c) { c.track = -1; }, "track");
  CHECK_NOTHROW(RtpJitterBuffer(sink, RtpJitterConfig{}));
}

TEST_CASE("The RTP jitter buffer allocates nothing per packet after construction", "[rtp][alloc]") {
  // Reordering, loss, duplicates, late packets, RTCP, an SSRC change and G.722's
  // neighbour PCMA all in the armed region.
  const Stream s = pcmu_stream(600);
  const Stream other = pcmu_stream(100, 7, 99, 0x5555);
  Bytes sender_report = {0x80, 200, 0, 6};
  sender_report.resize(28, 0);
  std::vector<Bytes> datagrams;
  std::mt19937 rng(5);
  std::vector<std::size_t> order = in_order(600);
  for (std::size_t block = 0; block + 3 <= order.size(); block += 3) std::shuffle(order.begin() + block, order.begin() + block + 3, rng);
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k % 19 == 15) datagrams.push_back(s.packets[order[k - 10]]);  // 200 ms late
    if (k % 17 == 0 || k % 19 == 5) continue;  // lost, or held back to come late
    datagrams.push_back(s.packets[order[k]]);
    if (k % 13 == 0) datagrams.push_back(s.packets[order[k]]);  // duplicate
    if (k % 50 == 0) datagrams.push_back(sender_report);
  }
  for (const auto& p : other.packets) datagrams.push_back(p);
  tw::test::CountingSink sink;
  RtpJitterBuffer buffer(sink, RtpJitterConfig{});
  for (std::size_t k = 0; k < 50; ++k) buffer.on_datagram(datagrams[k], static_cast<std::int64_t>(k) * kTicks);  // warm-up
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (std::size_t k = 50; k < datagrams.size(); ++k) buffer.on_datagram(datagrams[k], static_cast<std::int64_t>(k) * kTicks);
    buffer.flush();
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
  CHECK(buffer.counters().ssrc_changes == 1);
  CHECK(buffer.counters().duplicate_packets > 0);
  CHECK(buffer.counters().late_packets > 0);
  CHECK(sink.frames + sink.gap_frames == buffer.next_sample());
}
