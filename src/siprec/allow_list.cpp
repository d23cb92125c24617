#include "siprec/allow_list.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace tw::siprec {

bool parse_ip_address(std::string_view address, std::array<std::uint8_t, 16>& out) noexcept {
  if (address.empty() || address.size() >= INET6_ADDRSTRLEN) return false;
  char text[INET6_ADDRSTRLEN] = {};
  address.copy(text, address.size());
  out.fill(0);
  in_addr v4{};
  if (inet_pton(AF_INET, text, &v4) == 1) {
    // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d, so that one comparison serves both families.
    out[10] = 0xff;
    out[11] = 0xff;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&v4.s_addr);
    for (int i = 0; i < 4; ++i) out[12 + i] = bytes[i];
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text, &v6) == 1) {
    for (int i = 0; i < 16; ++i) out[i] = v6.s6_addr[i];
    return true;
  }
  return false;
}

AllowList::AllowList(const std::vector<std::string>& cidrs) {
  for (const std::string& entry : cidrs) {
    const std::size_t slash = entry.find('/');
    const std::string_view host = std::string_view(entry).substr(0, slash);
    CidrPrefix prefix;
    if (!parse_ip_address(host, prefix.address))
      throw std::invalid_argument("siprec allow list: '" + entry + "' is not an IPv4 or IPv6 address or prefix");
    const bool v4 = host.find(':') == std::string_view::npos;
    const int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos) {
      const std::string_view digits = std::string_view(entry).substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
      if (ec != std::errc() || end != digits.data() + digits.size() || bits < 0 || bits > max_bits)
        throw std::invalid_argument("siprec allow list: '" + entry + "' has a prefix length outside 0.." +
                                    std::to_string(max_bits));
    }
    prefix.prefix_bits = v4 ? bits + 96 : bits;
    prefixes_.push_back(prefix);
  }
}

bool AllowList::allows(const std::array<std::uint8_t, 16>& address16) const noexcept {
  for (const CidrPrefix& prefix : prefixes_) {
    int bits = prefix.prefix_bits;
    bool inside = true;
    for (int i = 0; i < 16 && bits > 0 && inside; ++i, bits -= 8) {
      const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
      inside = (address16[i] & mask) == (prefix.address[i] & mask);
    }
    if (inside) return true;
  }
  return false;
}

bool AllowList::allows(std::string_view address) const noexcept {
  std::array<std::uint8_t, 16> bytes{};
  return parse_ip_address(address, bytes) && allows(bytes);
}

}  // namespace tw::siprec
