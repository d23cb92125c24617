#include "app/siprec_options.h"

#include <charconv>
#include <stdexcept>

#include "net/http_server.h"
#include "server/dashboard_access.h"

namespace tw::app {
namespace {

std::uint16_t port_number(std::string_view text, const std::string& flag) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535)
    throw std::invalid_argument(flag + ": '" + std::string(text) + "' is not a port number");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

void SiprecOptions::add_to(CLI::App* cmd) {
  const std::string group = "SIPREC (session border controllers, RFC 7866; docs/siprec.md)";
  cmd->add_option("--siprec", listen,
                  "Be a SIPREC recording server: SIP on this address (host:port, e.g. 127.0.0.1:5060; port 0 picks one)")
      ->group(group);
  cmd->add_option("--siprec-transport", transport,
                  "SIP transports, comma-separated: udp, tcp, tls (SIP over TLS with --tls-cert and --tls-key, on --siprec-tls-port)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--siprec-tls-port", tls_port, "SIP over TLS port (default: the --siprec port + 1, e.g. 5061)")
      ->check(CLI::Range(0, 65535))
      ->group(group);
  cmd->add_option("--rtp-ports", rtp_ports, "RTP port range FIRST-LAST (a pair per stream: RTP even, RTCP odd)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--siprec-media-address", media_address,
                  "The address the SDP answers give for RTP (default: the --siprec address; needed when that is 0.0.0.0)")
      ->group(group);
  cmd->add_option("--siprec-agent", agents,
                  "Participants whose AoR matches are agents, e.g. 'sip:*@agents.example.com' or 'sip:+1555*' (repeatable); "
                  "default: the first participant is the caller")
      ->group(group);
  cmd->add_option("--siprec-allow", allow, "SRC addresses allowed (CIDR, repeatable); others get 403. Default: loopback only")
      ->group(group);
  cmd->add_option("--siprec-max-sessions", max_sessions, "Concurrent recording sessions; more get 503 (0: --max-calls)")
      ->group(group);
  cmd->add_option("--rtp-jitter-ms", jitter_ms, "RTP reorder window and play-out delay (ms)")
      ->check(CLI::Range(10, 2000))
      ->capture_default_str()
      ->group(group);
}

server::SiprecIngestConfig SiprecOptions::config(double idle_timeout_s, std::size_t max_calls, const std::string& tls_cert,
                                                 const std::string& tls_key) const {
  server::SiprecIngestConfig c;
  std::pair<std::string, std::uint16_t> address;
  try {
    address = net::parse_address(listen);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--siprec: ") + e.what());
  }
  // libre takes IP literals only (sa_set_str); localhost is the loopback address.
  c.sip.listen_address = address.first == "localhost" ? "127.0.0.1" : address.first;
  c.sip.listen_port = address.second;
  c.sip.udp = c.sip.tcp = false;
  std::string_view rest = transport;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (item == "udp") {
      c.sip.udp = true;
    } else if (item == "tcp") {
      c.sip.tcp = true;
    } else if (item == "tls") {
      if (tls_cert.empty() || tls_key.empty())
        throw std::invalid_argument("--siprec-transport tls needs --tls-cert and --tls-key (the certificate SRCs verify)");
      c.sip.tls_cert_file = tls_cert;
      c.sip.tls_key_file = tls_key;
    } else {
      throw std::invalid_argument("--siprec-transport: '" + std::string(item) + "' is not udp, tcp or tls");
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (!c.sip.udp && !c.sip.tcp && c.sip.tls_cert_file.empty())
    throw std::invalid_argument("--siprec-transport: no transport given");
  // RFC 3261 §19.1.2: 5061 for TLS beside 5060; one above the --siprec port in general.
  c.sip.tls_port = static_cast<std::uint16_t>(tls_port >= 0 ? tls_port : (c.sip.listen_port == 0 ? 0 : c.sip.listen_port + 1));
  const std::size_t dash = rtp_ports.find('-');
  if (dash == std::string::npos) throw std::invalid_argument("--rtp-ports: expected FIRST-LAST, got '" + rtp_ports + "'");
  c.sip.rtp_port_first = port_number(std::string_view(rtp_ports).substr(0, dash), "--rtp-ports");
  c.sip.rtp_port_last = port_number(std::string_view(rtp_ports).substr(dash + 1), "--rtp-ports");
  if (c.sip.rtp_port_first == 0 || c.sip.rtp_port_last < c.sip.rtp_port_first + 1)
    throw std::invalid_argument("--rtp-ports: '" + rtp_ports + "' holds no RTP/RTCP pair");
  c.sip.media_address = media_address;
  c.sip.agent_patterns = agents;
  if (!allow.empty()) c.sip.allow = allow;
  c.sip.max_sessions = max_sessions > 0 ? max_sessions : (max_calls > 0 ? max_calls : 1000);
  c.jitter_depth_ms = jitter_ms;
  c.idle_timeout_s = idle_timeout_s;
  return c;
}

void SiprecOptions::warn(std::ostream& err) const {
  if (!enabled()) return;
  const std::string host = net::parse_address(listen).first;
  if (!server::is_loopback_name(host) && allow.empty()) {
    err << "tonewatch serve: warning: SIPREC listens on " << listen
        << " but only loopback SRCs are allowed: give your SBCs' addresses with --siprec-allow CIDR\n";
  }
  if ((host == "0.0.0.0" || host == "::") && media_address.empty()) {
    err << "tonewatch serve: --siprec on a wildcard address needs --siprec-media-address (the address SBCs send RTP to)\n";
  }
}

}  // namespace tw::app
