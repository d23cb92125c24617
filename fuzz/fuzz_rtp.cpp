// libFuzzer target: RTP parsing and the RTP jitter buffer. The first byte picks the
// configuration (bit 0: 16 kHz G.722 or 8 kHz G.711; bits 1-2: depth 20/60/200/2000 ms;
// bit 3: no telephone-event type) and the mode (bit 7):
//  - raw: the rest is datagrams, each a 2-byte big-endian length then its bytes, each
//    arriving 20 ms after the one before: the parser, RTCP and the buffer on bytes as
//    they come off a socket;
//  - built: the rest is records of 6 bytes, [flags, sequence step, timestamp step (2,
//    big-endian, signed), payload length, arrival step], then the payload bytes; the
//    harness builds well-formed RTP from them, so the buffer's reorder, loss, wrap,
//    realignment, comfort-noise and event rules are reached at once. flags bits 0-1:
//    payload type (the stream's codec, CN, telephone-event, or 0x7F & the length
//    byte); bit 2: the other SSRC; bit 3: a third SSRC; bit 4: flush after; bit 5: an
//    RTCP datagram before.
// CheckingSink traps on a broken promise (audio out of [-1, 1], a block or gap not
// contiguous with the last); the harness also checks that after the final flush the
// track's delivered length equals the buffer's position.
// Seeds (fuzz/corpus/fuzz_rtp/): a short ordered G.711 and G.722 stream in each mode,
// and one with loss, reordering, duplicates, an SSRC change, CN and an event.

#include <cstdlib>

#include "fuzz_sink.h"
#include "telephony/rtp_jitter_buffer.h"

namespace {

// Counts what reaches the sink, so the harness can check the total after flush.
class TotalSink : public tw::fuzz::CheckingSink {
 public:
  std::int64_t frames = 0;
  void on_audio(const tw::telephony::TrackAudio& audio) override {
    CheckingSink::on_audio(audio);
    frames += audio.frames();
  }
  void on_gap(const tw::telephony::TrackGap& gap) override {
    CheckingSink::on_gap(gap);
    frames += gap.frames;
  }
};

std::vector<std::uint8_t> build_packet(std::uint8_t payload_type, bool marker, std::uint16_t sequence, std::uint32_t timestamp,
                                       std::uint32_t ssrc, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(12 + payload.size());
  out[0] = 0x80;
  out[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7F));
  out[2] = static_cast<std::uint8_t>(sequence >> 8);
  out[3] = static_cast<std::uint8_t>(sequence);
  for (int i = 0; i < 4; ++i) {
    out[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(timestamp >> (8 * (3 - i)));
    out[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(ssrc >> (8 * (3 - i)));
  }
  std::copy(payload.begin(), payload.end(), out.begin() + 12);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  tw::telephony::RtpJitterConfig config;
  config.sample_rate_hz = (mode & 1) != 0 ? 16000 : 8000;
  static constexpr int kDepths[] = {20, 60, 200, 2000};
  config.depth_ms = kDepths[(mode >> 1) & 3];
  config.telephone_event_payload_type = (mode & 8) != 0 ? -1 : 101;
  config.max_forward_jump_s = 2.0;  // keeps realignment reachable with small steps

  TotalSink sink;
  tw::telephony::StreamStart start;
  start.sample_rate_hz = config.sample_rate_hz;
  start.tracks.push_back(tw::telephony::TrackInfo{"stream", {tw::features::SpeakerRole::caller}});
  sink.on_stream_start(start);
  tw::telephony::RtpJitterBuffer buffer(sink, config);

  std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::int64_t arrival = 0;
  const std::int64_t tick_samples = config.sample_rate_hz / 8000;
  if ((mode & 0x80) == 0) {
    while (rest.size() >= 2) {
      const std::size_t length = std::min<std::size_t>((std::size_t{rest[0]} << 8) | rest[1], rest.size() - 2);
      const auto datagram = rest.subspan(2, length);
      rest = rest.subspan(2 + length);
      tw::telephony::RtpPacket packet;
      if (tw::telephony::parse_rtp(datagram, packet) == tw::telephony::RtpError::none) {
        // The payload is a view inside the datagram, after the header.
        if (packet.payload.data() < datagram.data() || packet.payload.data() + packet.payload.size() > datagram.data() + datagram.size())
          std::abort();
      }
      (void)tw::telephony::read_rtcp(datagram);
      buffer.on_datagram(datagram, arrival);
      arrival += 160 * tick_samples;
    }
  } else {
    std::uint16_t sequence = 1000;
    std::uint32_t timestamp = 4294960000u;  // near the 32-bit wrap
    static const std::uint8_t kRtcp[] = {0x80, 201, 0, 1, 0, 0, 0, 7};
    while (rest.size() >= 6) {
      const std::uint8_t flags = rest[0];
      sequence = static_cast<std::uint16_t>(sequence + static_cast<std::int8_t>(rest[1]));
      timestamp += static_cast<std::uint32_t>(static_cast<std::int16_t>((rest[2] << 8) | rest[3]));
      const std::size_t length = std::min<std::size_t>(rest[4], rest.size() - 6);
      arrival += rest[5] * tick_samples;
      const auto payload = rest.subspan(6, length);
      rest = rest.subspan(6 + length);
      std::uint8_t payload_type = 0;
      switch (flags & 3) {
        case 0: payload_type = config.sample_rate_hz == 16000 ? 9 : ((flags & 0x40) != 0 ? 8 : 0); break;
        case 1: payload_type = 13; break;
        case 2: payload_type = 101; break;
        default: payload_type = static_cast<std::uint8_t>(length & 0x7F); break;
      }
      const std::uint32_t ssrc = (flags & 8) != 0 ? 0x33333333u : (flags & 4) != 0 ? 0x22222222u : 0x11111111u;
      if ((flags & 0x20) != 0) buffer.on_datagram(kRtcp, arrival);
      buffer.on_datagram(build_packet(payload_type, (flags & 0x80) != 0, sequence, timestamp, ssrc, payload), arrival);
      if ((flags & 0x10) != 0) buffer.flush();
    }
  }
  buffer.flush();
  if (sink.frames != buffer.next_sample()) std::abort();
  const auto& counters = buffer.counters();
  if (counters.audio_samples + counters.lost_samples + counters.declared_samples != static_cast<std::uint64_t>(buffer.next_sample()))
    std::abort();
  return 0;
}
