#pragma once
// A TCP connection to 127.0.0.1, for the tests that speak to a server by hand.

#include <cstdint>

namespace tw::test {

/// A socket connected to 127.0.0.1:port, with TCP_NODELAY set (small messages go
/// out as written), or -1 if it could not connect. The caller closes it.
int connect_loopback(std::uint16_t port);

}  // namespace tw::test
