// libFuzzer target: the recorder's SDP offer/answer through libre (siprec/sdp_answerer.h).
// The input is an offer; it is applied as a first offer and then again as a re-offer. The
// promises checked: never throws or crashes; an accepted offer has an answer; accepted
// streams hold distinct even ports from the pool and refused ones none; every port comes
// back to the pool.

#include <cstdint>
#include <set>
#include <string_view>

#include "siprec/sdp_answerer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view offer(reinterpret_cast<const char*>(data), size);
  tw::siprec::RtpPortPool ports(20000, 20019);  // ten pairs: exhaustion is reachable
  {
    tw::siprec::SdpAnswerer answerer("127.0.0.1");
    for (int round = 0; round < 2; ++round) {
      tw::siprec::SessionChange change;
      const auto refusal = answerer.apply_offer(offer, ports, change);
      if (refusal) {
        if (refusal->detail.empty()) __builtin_trap();
        continue;
      }
      if (answerer.answer().empty()) __builtin_trap();
      std::set<int> seen;
      for (const auto& stream : answerer.streams()) {
        if (stream.accepted != (stream.local_rtp_port != 0)) __builtin_trap();
        if (stream.accepted && (stream.local_rtp_port % 2 != 0 || !seen.insert(stream.local_rtp_port).second))
          __builtin_trap();
      }
    }
    answerer.release_ports(ports);
  }
  if (ports.in_use() != 0) __builtin_trap();
  return 0;
}
