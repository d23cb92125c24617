#include "telephony/rtp_packet.h"

namespace tw::telephony {

namespace {

constexpr std::size_t kFixedHeaderBytes = 12;  // RFC 3550 §5.1: V/P/X/CC, M/PT, sequence, timestamp, SSRC
constexpr int kRtpVersion = 2;

std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) noexcept {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) | (std::uint32_t{bytes[at + 2]} << 8) |
         bytes[at + 3];
}

}  // namespace

DatagramKind classify_datagram(std::span<const std::uint8_t> datagram) noexcept {
  // RFC 5761 §4 demultiplexes by the second octet alone; the version is not looked at,
  // so a broken RTCP packet is still counted as RTCP rather than as bad audio.
  if (datagram.size() >= 2 && datagram[1] >= 192 && datagram[1] <= 223) return DatagramKind::rtcp;
  return DatagramKind::rtp;
}

RtpError parse_rtp(std::span<const std::uint8_t> datagram, RtpPacket& packet) noexcept {
  if (datagram.size() < kFixedHeaderBytes) return RtpError::too_short;
  const std::uint8_t first = datagram[0];
  if ((first >> 6) != kRtpVersion) return RtpError::bad_version;
  const bool padding = (first & 0x20) != 0;
  packet.has_extension = (first & 0x10) != 0;
  packet.csrc_count = static_cast<std::uint8_t>(first & 0x0F);
  packet.marker = (datagram[1] & 0x80) != 0;
  packet.payload_type = static_cast<std::uint8_t>(datagram[1] & 0x7F);
  packet.sequence = read16(datagram, 2);
  packet.timestamp = read32(datagram, 4);
  packet.ssrc = read32(datagram, 8);

  // RFC 3550 §5.1: CC 32-bit CSRC identifiers follow the fixed header.
  std::size_t header = kFixedHeaderBytes + 4 * std::size_t{packet.csrc_count};
  if (header > datagram.size()) return RtpError::too_short;

  // RFC 3550 §5.3.1: a 16-bit profile-defined field, a 16-bit length in 32-bit words
  // (not counting this 4-octet word), then the extension. RFC 8285's one- and two-byte
  // element forms live inside it; none is used here, so all are skipped whole.
  packet.extension_profile = 0;
  if (packet.has_extension) {
    if (header + 4 > datagram.size()) return RtpError::extension_overrun;
    packet.extension_profile = read16(datagram, header);
    const std::size_t words = read16(datagram, header + 2);
    header += 4 + 4 * words;
    if (header > datagram.size()) return RtpError::extension_overrun;
  }

  // RFC 3550 §5.1: with P set, the last octet counts the padding octets, itself
  // included, so it is at least 1 and cannot reach back into the header.
  std::size_t end = datagram.size();
  packet.padding_bytes = 0;
  if (padding) {
    const std::size_t count = datagram[end - 1];
    if (count == 0 || count > end - header) return RtpError::bad_padding;
    packet.padding_bytes = count;
    end -= count;
  }
  packet.payload = datagram.subspan(header, end - header);
  return RtpError::none;
}

RtcpSummary read_rtcp(std::span<const std::uint8_t> datagram) noexcept {
  RtcpSummary summary;
  std::size_t at = 0;
  // RFC 3550 §6.4.1: every RTCP packet starts with V=2, P, a count, PT and a 16-bit
  // length in 32-bit words minus one; a compound packet is several back to back.
  while (at + 4 <= datagram.size()) {
    if ((datagram[at] >> 6) != kRtpVersion) return summary;
    const std::uint8_t type = datagram[at + 1];
    const std::size_t bytes = 4 * (std::size_t{read16(datagram, at + 2)} + 1);
    if (bytes > datagram.size() - at) return summary;
    ++summary.packets;
    if (type == 203) summary.has_bye = true;            // RFC 3550 §6.6
    if (type == 200) summary.has_sender_report = true;  // RFC 3550 §6.4.1
    at += bytes;
  }
  summary.valid = at == datagram.size() && summary.packets > 0;
  return summary;
}

}  // namespace tw::telephony
