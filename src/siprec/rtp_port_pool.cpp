#include "siprec/rtp_port_pool.h"

#include <stdexcept>
#include <string>

namespace tw::siprec {

RtpPortPool::RtpPortPool(std::uint16_t first_port, std::uint16_t last_port) {
  if (first_port == 0) throw std::invalid_argument("rtp ports: the range must not start at port 0");
  // RFC 3550 §11: RTP on an even port, its RTCP on the odd port above.
  const std::uint32_t first_even = first_port + (first_port % 2u);
  if (first_even + 1u > last_port)
    throw std::invalid_argument("rtp ports: " + std::to_string(first_port) + "-" + std::to_string(last_port) +
                                " holds no even/odd RTP/RTCP pair");
  first_even_ = static_cast<std::uint16_t>(first_even);
  used_.assign((last_port - first_even + 1u) / 2u, false);
}

std::optional<std::uint16_t> RtpPortPool::acquire() {
  for (std::size_t i = 0; i < used_.size(); ++i) {
    if (used_[i]) continue;
    used_[i] = true;
    ++in_use_;
    return static_cast<std::uint16_t>(first_even_ + 2 * i);
  }
  return std::nullopt;
}

void RtpPortPool::release(std::uint16_t rtp_port) noexcept {
  if (rtp_port < first_even_ || (rtp_port - first_even_) % 2 != 0) return;
  const std::size_t i = static_cast<std::size_t>(rtp_port - first_even_) / 2;
  if (i >= used_.size() || !used_[i]) return;
  used_[i] = false;
  --in_use_;
}

}  // namespace tw::siprec
