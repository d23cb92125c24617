// RTP header parsing (RFC 3550 §5.1, §5.3.1, RFC 8285) and RTCP told apart from RTP
// on one port (RFC 5761 §4), with packets built byte by byte here.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "telephony/rtp_packet.h"

using namespace tw::telephony;

namespace {

using Bytes = std::vector<std::uint8_t>;

// The 12-byte fixed header of RFC 3550 §5.1 (V=2) followed by `rest`.
Bytes header(std::uint8_t first, std::uint8_t second, std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  return {first,
          second,
          static_cast<std::uint8_t>(sequence >> 8),
          static_cast<std::uint8_t>(sequence),
          static_cast<std::uint8_t>(timestamp >> 24),
          static_cast<std::uint8_t>(timestamp >> 16),
          static_cast<std::uint8_t>(timestamp >> 8),
          static_cast<std::uint8_t>(timestamp),
          static_cast<std::uint8_t>(ssrc >> 24),
          static_cast<std::uint8_t>(ssrc >> 16),
          static_cast<std::uint8_t>(ssrc >> 8),
          static_cast<std::uint8_t>(ssrc)};
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

RtpError parse(const Bytes& bytes, RtpPacket& packet) { return parse_rtp(bytes, packet); }

}  // namespace

TEST_CASE("An RTP packet's header fields and payload are read as RFC 3550 lays them out", "[rtp]") {
  const Bytes datagram = header(0x80, 0x80 | 8, 0xBEEF, 0xDEADBEEF, 0x01020304) + Bytes{1, 2, 3, 4, 5};
  RtpPacket packet;
  REQUIRE(parse(datagram, packet) == RtpError::none);
  CHECK(packet.marker);
  CHECK(packet.payload_type == 8);
  CHECK(packet.sequence == 0xBEEF);
  CHECK(packet.timestamp == 0xDEADBEEFu);
  CHECK(packet.ssrc == 0x01020304u);
  CHECK(packet.csrc_count == 0);
  CHECK_FALSE(packet.has_extension);
  CHECK(packet.padding_bytes == 0);
  CHECK(packet.payload.data() == datagram.data() + 12);  // a view into the datagram, not a copy
  CHECK(Bytes(packet.payload.begin(), packet.payload.end()) == Bytes{1, 2, 3, 4, 5});
}

TEST_CASE("RTP CSRC identifiers a header extension and padding are all stripped from the payload", "[rtp]") {
  // CC=2, X=1, P=1: two CSRCs, an RFC 8285 one-byte extension of 2 words, 3 octets of padding.
  const Bytes csrcs = {0, 0, 0, 1, 0, 0, 0, 2};
  const Bytes extension = {0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0x21, 0xBB, 0xCC, 0x00, 0x00, 0x00};
  const Bytes datagram = header(0x80 | 0x20 | 0x10 | 2, 0, 7, 160, 99) + csrcs + extension + Bytes{9, 8, 7} + Bytes{0, 0, 3};
  RtpPacket packet;
  REQUIRE(parse(datagram, packet) == RtpError::none);
  CHECK(packet.csrc_count == 2);
  CHECK(packet.has_extension);
  CHECK(packet.extension_profile == 0xBEDE);
  CHECK(packet.padding_bytes == 3);
  CHECK(Bytes(packet.payload.begin(), packet.payload.end()) == Bytes{9, 8, 7});
}

TEST_CASE("RTP padding that takes the whole payload leaves an empty payload", "[rtp]") {
  const Bytes datagram = header(0xA0, 0, 1, 0, 1) + Bytes{0, 0, 0, 4};
  RtpPacket packet;
  REQUIRE(parse(datagram, packet) == RtpError::none);
  CHECK(packet.payload.empty());
}

TEST_CASE("A datagram shorter than the fixed RTP header is rejected as too short", "[rtp]") {
  RtpPacket packet;
  CHECK(parse(Bytes{}, packet) == RtpError::too_short);
  const Bytes full = header(0x80, 0, 1, 0, 1);
  CHECK(parse(Bytes(full.begin(), full.end() - 1), packet) == RtpError::too_short);
}

TEST_CASE("An RTP header announcing more CSRCs than the datagram holds is rejected as too short", "[rtp]") {
  RtpPacket packet;
  CHECK(parse(header(0x80 | 3, 0, 1, 0, 1) + Bytes{0, 0, 0, 1, 0, 0, 0, 2}, packet) == RtpError::too_short);
}

TEST_CASE("An RTP version other than 2 is rejected as the wrong version", "[rtp]") {
  RtpPacket packet;
  CHECK(parse(header(0x40, 0, 1, 0, 1) + Bytes{1}, packet) == RtpError::bad_version);
  CHECK(parse(header(0x00, 0, 1, 0, 1) + Bytes{1}, packet) == RtpError::bad_version);
  CHECK(parse(header(0xC0, 0, 1, 0, 1) + Bytes{1}, packet) == RtpError::bad_version);
}

TEST_CASE("RTP padding with a zero count or longer than the packet body is rejected as bad padding", "[rtp]") {
  RtpPacket packet;
  CHECK(parse(header(0xA0, 0, 1, 0, 1) + Bytes{1, 2, 0}, packet) == RtpError::bad_padding);
  CHECK(parse(header(0xA0, 0, 1, 0, 1) + Bytes{1, 2, 4}, packet) == RtpError::bad_padding);
  // The count may not reach back into the CSRC list either.
  CHECK(parse(header(0xA1, 0, 1, 0, 1) + Bytes{0, 0, 0, 5}, packet) == RtpError::bad_padding);
}

TEST_CASE("An RTP header extension running past the end of the datagram is rejected", "[rtp]") {
  RtpPacket packet;
  // The extension's own header word is cut short.
  CHECK(parse(header(0x90, 0, 1, 0, 1) + Bytes{0xBE, 0xDE}, packet) == RtpError::extension_overrun);
  // Its length says 3 words; 2 follow.
  CHECK(parse(header(0x90, 0, 1, 0, 1) + Bytes{0xBE, 0xDE, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8}, packet) ==
        RtpError::extension_overrun);
}

TEST_CASE("RTCP multiplexed on the RTP port is recognised by its second octet 192 to 223", "[rtp]") {
  // RFC 5761 §4: 192-223 are RTCP; as RTP they would be payload types 64-95 with the marker.
  for (int second = 0; second < 256; ++second) {
    const Bytes datagram = {0x80, static_cast<std::uint8_t>(second), 0, 1};
    const DatagramKind expected = second >= 192 && second <= 223 ? DatagramKind::rtcp : DatagramKind::rtp;
    INFO("second octet " << second);
    CHECK(classify_datagram(datagram) == expected);
  }
  CHECK(classify_datagram(Bytes{0x80}) == DatagramKind::rtp);
}

TEST_CASE("A compound RTCP packet is walked by its length fields and a BYE in it is seen", "[rtp]") {
  // SR with no report blocks (7 words: length 6), then BYE with one SSRC (length 1).
  Bytes sr = {0x80, 200, 0, 6};
  sr.resize(28, 0);
  const Bytes bye = {0x81, 203, 0, 1, 0, 0, 0, 9};
  const RtcpSummary both = read_rtcp(sr + bye);
  CHECK(both.valid);
  CHECK(both.packets == 2);
  CHECK(both.has_sender_report);
  CHECK(both.has_bye);

  const RtcpSummary only_sr = read_rtcp(sr);
  CHECK(only_sr.valid);
  CHECK_FALSE(only_sr.has_bye);

  // A length pointing past the end, a trailing fragment, a wrong version: not valid.
  CHECK_FALSE(read_rtcp(Bytes{0x80, 201, 0, 9, 0, 0, 0, 1}).valid);
  CHECK_FALSE(read_rtcp(sr + Bytes{0x80, 201}).valid);
  CHECK_FALSE(read_rtcp(Bytes{0x40, 201, 0, 0}).valid);
  CHECK_FALSE(read_rtcp(Bytes{}).valid);
}
