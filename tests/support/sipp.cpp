#include "support/sipp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string_view>

#include "build_paths.h"

namespace tw::test {

std::uint16_t free_sip_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(udp);
      continue;
    }
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    const bool tcp_free = ::bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(tcp);
    ::close(udp);
    if (tcp_free) return ntohs(address.sin_port);
  }
  FAIL("no free port on 127.0.0.1");
  return 0;
}

std::string sipp_program() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string candidate = std::string(rest.substr(0, colon)) + "/sipp";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return "sipp";
}

std::vector<std::string> sipp_arguments(const std::string& scenario, std::uint16_t port, const std::string& transport,
                                        const std::vector<std::string>& extra) {
  const std::string path = tw::build::source_dir() + "/tests/siprec/scenarios/" + scenario;
  std::vector<std::string> arguments = {"127.0.0.1:" + std::to_string(port),
                                        "-sf", path, "-m", "1", "-i", "127.0.0.1",
                                        "-p", std::to_string(free_sip_port()), "-t", transport, "-nostdin",
                                        "-timeout", "20s", "-timeout_error", "-recv_timeout", "8000"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

RunOptions sipp_options() {
  RunOptions options;
  options.timeout_s = 40.0;
  return options;
}

CommandResult run_sipp(const std::string& scenario, std::uint16_t port, const std::string& transport,
                       const std::vector<std::string>& extra) {
  const CommandResult result = run_command(sipp_program(), sipp_arguments(scenario, port, transport, extra), sipp_options());
  if (result.exit_code == 127) FAIL("sipp is not installed: it comes with Debian's sip-tester (tools/install-deps.sh --tests)");
  return result;
}

}  // namespace tw::test
