#pragma once
// RTP and RTCP datagrams as they arrive on a media port: the fixed RTP header of
// RFC 3550 §5.1 read in place (no copy, no allocation), and RTCP told apart from
// RTP when both share the port (RFC 5761 §4).
//
// Everything here works on a span of the datagram's bytes and returns views into
// it: a parsed packet is valid only as long as the datagram's buffer.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tw::telephony {

/// Why a datagram is not a usable RTP packet; indexes RtpCounters::malformed_by_reason.
enum class RtpError : std::uint8_t {
  none,                ///< a valid packet
  too_short,           ///< shorter than the 12-byte fixed header, or than the CSRC list it announces
  bad_version,         ///< version field not 2 (RFC 3550 §5.1: V is 2)
  bad_padding,         ///< P set but the padding count is 0 or longer than what follows the header
  extension_overrun,   ///< X set but the header extension runs past the end (RFC 3550 §5.3.1)
  kCount
};

/// Lower-case name, as in logs and metrics.
constexpr std::string_view to_string(RtpError error) noexcept {
  switch (error) {
    case RtpError::none: return "none";
    case RtpError::too_short: return "too_short";
    case RtpError::bad_version: return "bad_version";
    case RtpError::bad_padding: return "bad_padding";
    case RtpError::extension_overrun: return "extension_overrun";
    case RtpError::kCount: break;
  }
  return "unknown";
}

/// One RTP packet's header fields and its payload (RFC 3550 §5.1). `payload`
/// points into the datagram, with the CSRC list, the header extension and the
/// padding already stripped.
struct RtpPacket {
  bool marker = false;                 ///< M bit: for audio, the first packet of a talkspurt (RFC 3551 §4.1)
  std::uint8_t payload_type = 0;       ///< PT, 0-127
  std::uint16_t sequence = 0;          ///< sequence number, wraps at 65535
  std::uint32_t timestamp = 0;         ///< sampling instant of the first payload octet, in RTP clock units; wraps at 2^32
  std::uint32_t ssrc = 0;              ///< synchronization source
  std::uint8_t csrc_count = 0;         ///< CC, contributing sources listed (skipped)
  bool has_extension = false;          ///< X bit: a header extension was present (skipped)
  std::uint16_t extension_profile = 0; ///< its "defined by profile" field (0xBEDE: RFC 8285 one-byte form)
  std::size_t padding_bytes = 0;       ///< padding stripped from the end (P bit), the count octet included
  std::span<const std::uint8_t> payload;
};

/// What a datagram on an RTP port is.
enum class DatagramKind : std::uint8_t {
  rtp,   ///< an RTP packet (it may still be malformed: parse_rtp says)
  rtcp,  ///< RTCP multiplexed on the RTP port (RFC 5761 §4), or any datagram whose second octet is 192-223
};

/// RFC 5761 §4: with RTP and RTCP on one port, a second octet in 192-223 (RTCP packet
/// types 192-223, which as RTP would be payload types 64-95 with the marker bit set)
/// is RTCP. Payload types 64-95 are reserved for exactly this reason, so nothing real
/// is misread. Datagrams shorter than two octets count as RTP (and fail to parse).
/// Real-time safe.
DatagramKind classify_datagram(std::span<const std::uint8_t> datagram) noexcept;

/// Parses an RTP packet. On success returns RtpError::none and fills `packet`; on
/// failure returns the reason and leaves `packet` unspecified. Real-time safe: no
/// allocation, reads only inside `datagram`.
RtpError parse_rtp(std::span<const std::uint8_t> datagram, RtpPacket& packet) noexcept;

/// What a compound RTCP packet (RFC 3550 §6.1) holds, as far as a receiver that only
/// listens cares.
struct RtcpSummary {
  bool valid = false;        ///< every packet had version 2 and a length inside the datagram
  int packets = 0;           ///< RTCP packets in the compound packet (the valid prefix when not valid)
  bool has_bye = false;      ///< a BYE (PT 203, RFC 3550 §6.6): the source says it is leaving
  bool has_sender_report = false;  ///< an SR (PT 200, RFC 3550 §6.4.1)
};

/// Walks a compound RTCP packet by its length fields (RFC 3550 §6.4.1: the length is
/// in 32-bit words minus one). Never fails hard: a malformed one comes back with
/// valid false. Real-time safe.
RtcpSummary read_rtcp(std::span<const std::uint8_t> datagram) noexcept;

}  // namespace tw::telephony
