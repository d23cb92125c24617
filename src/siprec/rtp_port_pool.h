#pragma once
// RTP/RTCP port pairs for the streams we answer (`--rtp-ports 20000-20999`): RTP on an
// even port and RTCP on the next odd one (RFC 3550 §11). The pool only books numbers;
// the media side binds them. Pure code, one thread.

#include <cstdint>
#include <optional>
#include <vector>

namespace tw::siprec {

/// Where the SDP answers' RTP ports come from. The signalling calls it on the SIP thread
/// only; an implementation must not block. The server's binds the ports as it books
/// them (server/siprec_ingest), so a port named in an answer is already ours.
class RtpPortAllocator {
 public:
  virtual ~RtpPortAllocator() = default;
  /// The RTP (even) port of a free pair, now booked; nullopt when none is left.
  virtual std::optional<std::uint16_t> acquire() = 0;
  /// Gives back the pair of `rtp_port`; a port not booked here is ignored.
  virtual void release(std::uint16_t rtp_port) noexcept = 0;
};

/// A fixed range of even/odd port pairs, handed out lowest first.
class RtpPortPool final : public RtpPortAllocator {
 public:
  /// Pairs whose both ports lie in [first_port, last_port]; an odd first port starts at the
  /// next even one. Throws std::invalid_argument when the range holds no pair or starts at 0.
  RtpPortPool(std::uint16_t first_port, std::uint16_t last_port);
  /// The RTP (even) port of a free pair, now booked; nullopt when every pair is taken.
  std::optional<std::uint16_t> acquire() override;
  /// Gives back the pair of `rtp_port`; a port not booked here is ignored.
  void release(std::uint16_t rtp_port) noexcept override;
  /// Pairs booked.
  std::size_t in_use() const noexcept { return in_use_; }
  /// Pairs in the range.
  std::size_t capacity() const noexcept { return used_.size(); }

 private:
  std::uint16_t first_even_ = 0;
  std::vector<bool> used_;
  std::size_t in_use_ = 0;
};

}  // namespace tw::siprec
