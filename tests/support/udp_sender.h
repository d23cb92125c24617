#pragma once
// A UDP socket that sends datagrams to 127.0.0.1, for the media tests (the receiver,
// SIPREC's RTP). send() does not allocate, so it may run inside armed allocation counts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tw::test {

class UdpSender {
 public:
  UdpSender() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {}
  ~UdpSender() { ::close(fd_); }
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  /// Sends `size` bytes to 127.0.0.1:`port`; true if the whole datagram went.
  bool send(std::uint16_t port, const std::uint8_t* data, std::size_t size) const noexcept {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::sendto(fd_, data, size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(size);
  }
  bool send(std::uint16_t port, const std::vector<std::uint8_t>& data) const noexcept {
    return send(port, data.data(), data.size());
  }

 private:
  int fd_;
};

}  // namespace tw::test
