#pragma once
// `serve`'s SIPREC flags (issue 24): --siprec and the settings of the recording server's
// signalling and media, and the ingest configuration they make.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "server/siprec_ingest.h"

namespace tw::app {

struct SiprecOptions {
  std::string listen;                        ///< ADDR:PORT for SIP; empty: no SIPREC
  std::string transport = "udp,tcp";         ///< comma-separated: udp, tcp, tls
  int tls_port = -1;                         ///< SIP over TLS; -1: the --siprec port + 1 (0 with port 0)
  std::string rtp_ports = "20000-20999";     ///< FIRST-LAST
  std::string media_address;                 ///< the RTP address the SDP answers name
  std::vector<std::string> agents;           ///< agent patterns on participant AoRs
  std::vector<std::string> allow;            ///< SRC addresses allowed (CIDR); default loopback
  std::size_t max_sessions = 0;              ///< 0: --max-calls
  int jitter_ms = 80;                        ///< RTP reorder window

  /// Adds the flags to `cmd`.
  void add_to(CLI::App* cmd);
  bool enabled() const noexcept { return !listen.empty(); }
  /// The ingest's configuration. `idle_timeout_s`, `max_calls` and the TLS files
  /// (--tls-cert, --tls-key, for `tls` in --siprec-transport) are serve's own.
  /// Throws std::invalid_argument naming the flag for a bad value.
  server::SiprecIngestConfig config(double idle_timeout_s, std::size_t max_calls, const std::string& tls_cert,
                                    const std::string& tls_key) const;
  /// Warnings a deployment should see at start (a public SIP address with the default
  /// loopback-only allow list, a wildcard address with no --siprec-media-address).
  void warn(std::ostream& err) const;
};

}  // namespace tw::app
