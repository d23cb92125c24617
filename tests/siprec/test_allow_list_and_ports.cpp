// The recorder's pure helpers: the source allow-list (CIDR, IPv4 and IPv6) and the RTP
// port pairs (RFC 3550 §11).

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

#include "siprec/allow_list.h"
#include "siprec/rtp_port_pool.h"

using namespace tw::siprec;

TEST_CASE("The allow list admits addresses inside its IPv4 and IPv6 prefixes and nothing else", "[siprec]") {
  const AllowList list({"192.0.2.0/24", "198.51.100.7", "2001:db8::/32", "127.0.0.0/8"});
  CHECK(list.allows("192.0.2.1"));
  CHECK(list.allows("192.0.2.255"));
  CHECK_FALSE(list.allows("192.0.3.1"));
  CHECK(list.allows("198.51.100.7"));
  CHECK_FALSE(list.allows("198.51.100.8"));
  CHECK(list.allows("2001:db8:1::5"));
  CHECK_FALSE(list.allows("2001:db9::5"));
  CHECK(list.allows("127.1.2.3"));
  CHECK(list.allows("::ffff:192.0.2.9"));  // an IPv4-mapped source matches the IPv4 prefix
  CHECK_FALSE(list.allows("not an address"));
  CHECK_FALSE(list.allows(""));
  CHECK_FALSE(AllowList({}).allows("127.0.0.1"));
  CHECK(AllowList({"0.0.0.0/0"}).allows("203.0.113.1"));
  CHECK_FALSE(AllowList({"0.0.0.0/0"}).allows("2001:db8::1"));
  CHECK(AllowList({"::/0"}).allows("2001:db8::1"));
}

TEST_CASE("Bad allow list entries are refused naming the entry", "[siprec]") {
  CHECK_THROWS_WITH(AllowList({"192.0.2.0/33"}), Catch::Contains("192.0.2.0/33"));
  CHECK_THROWS_WITH(AllowList({"2001:db8::/129"}), Catch::Contains("0..128"));
  CHECK_THROWS_WITH(AllowList({"example.com"}), Catch::Contains("example.com"));
  CHECK_THROWS_WITH(AllowList({"10.0.0.0/x"}), Catch::Contains("10.0.0.0/x"));
}

TEST_CASE("The RTP port pool hands out even ports with their odd RTCP neighbour inside the range", "[siprec]") {
  RtpPortPool pool(20001, 20008);  // even ports 20002, 20004, 20006 (20008's RTCP would be 20009)
  CHECK(pool.capacity() == 3);
  std::set<int> got;
  for (int i = 0; i < 3; ++i) {
    const auto port = pool.acquire();
    REQUIRE(port);
    CHECK(*port % 2 == 0);
    CHECK(*port >= 20002);
    CHECK(*port + 1 <= 20008);
    got.insert(*port);
  }
  CHECK(got.size() == 3);
  CHECK_FALSE(pool.acquire());
  pool.release(20004);
  pool.release(20004);  // twice: ignored
  pool.release(12345);  // not ours: ignored
  CHECK(pool.in_use() == 2);
  CHECK(pool.acquire() == std::optional<std::uint16_t>(20004));
  CHECK_THROWS_AS(RtpPortPool(20001, 20001), std::invalid_argument);
  CHECK_THROWS_AS(RtpPortPool(0, 100), std::invalid_argument);
}
