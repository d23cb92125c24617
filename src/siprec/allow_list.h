#pragma once
// Which SRC addresses may talk to the recorder: a list of CIDR prefixes
// (`--siprec-allow 192.0.2.0/24`), IPv4 and IPv6. Pure code: no sockets.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tw::siprec {

/// One prefix: an address in IPv6 form (IPv4 as ::ffff:a.b.c.d, RFC 4291 §2.5.5.2) and its length.
struct CidrPrefix {
  std::array<std::uint8_t, 16> address{};
  int prefix_bits = 128;  ///< 0..128, counted in the IPv6 form (an IPv4 /24 is /120)
};

/// A set of prefixes; an address is allowed when any of them contains it.
class AllowList {
 public:
  /// Parses "a.b.c.d[/n]" and "x:y::z[/n]" entries (no prefix length: the host alone).
  /// Throws std::invalid_argument quoting the bad entry.
  explicit AllowList(const std::vector<std::string>& cidrs);
  /// True when the textual address `address` (no port, no brackets) is inside some prefix.
  /// An IPv4-mapped IPv6 address matches IPv4 prefixes. Unparseable: false.
  bool allows(std::string_view address) const noexcept;
  /// True when `address16` (IPv6 form, IPv4 mapped) is inside some prefix.
  bool allows(const std::array<std::uint8_t, 16>& address16) const noexcept;
  /// The prefixes, as parsed.
  const std::vector<CidrPrefix>& prefixes() const noexcept { return prefixes_; }

 private:
  std::vector<CidrPrefix> prefixes_;
};

/// `address` (IPv4 or IPv6 text, no brackets) in IPv6 form, or false when it is not an address.
bool parse_ip_address(std::string_view address, std::array<std::uint8_t, 16>& out) noexcept;

}  // namespace tw::siprec
