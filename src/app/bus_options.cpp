#include "app/bus_options.h"

#include <unistd.h>

#include <climits>
#include <stdexcept>

#include "bus/bus_subjects.h"

namespace tw::app {

std::string default_instance_id() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "tonewatch";
  std::string id;
  for (const char* c = host; *c != '\0' && id.size() < 64; ++c) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
    id += ok ? *c : '-';
  }
  return id.empty() ? "tonewatch" : id;
}

void BusOptions::add_to(CLI::App* cmd) {
  const std::string group = "Fleet bus (several instances, one wallboard; docs/fleet.md)";
  CLI::Option* bus = cmd->add_option("--bus", servers,
                  "Publish every call's events to this NATS JetStream server (nats://host:4222 or tls://...; "
                  "comma-separated or repeated for a cluster)")
      ->delimiter(',')
      ->group(group);
  cmd->add_option("--instance-id", instance_id,
                  "This instance's name on the bus (letters, digits, '-', '_'; default: the host name)")
      ->group(group);
  cmd->add_option("--bus-creds", creds_file, "NATS credentials file (user JWT and NKey seed)")
      ->check(CLI::ExistingFile)
      ->group(group);
  cmd->add_option("--bus-tls-ca", tls_ca_file, "CA certificate(s) that sign the NATS servers' (turns TLS on)")
      ->check(CLI::ExistingFile)
      ->group(group);
  cmd->add_option("--bus-buffer", max_buffered,
                  "Events kept while the bus is unreachable; beyond it the oldest are dropped (counted in /metrics)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->group(group);
  cmd->add_option("--bus-replicas", stream_replicas,
                  "Copies of the event stream when this instance creates it: 3 in a 3-node NATS cluster, so that "
                  "it survives a node (a stream that exists is used as it is)")
      ->capture_default_str()
      ->check(CLI::Range(1, 5))
      ->needs(bus)
      ->group(group);
  cmd->add_flag("--no-fleet-view{false}", fleet_view,
                "Publish this instance's calls to the fleet but show only its own on its wallboard (a large fleet: "
                "let a few instances carry the floor's wallboard)")
      ->needs(bus)
      ->group(group);
}

bus::BusConfig BusOptions::config() const {
  bus::BusConfig c;
  c.servers = servers;
  c.instance_id = instance_id.empty() ? default_instance_id() : instance_id;
  c.stream_replicas = stream_replicas;
  if (!bus::valid_instance_id(c.instance_id))
    throw std::invalid_argument("--instance-id: '" + c.instance_id + "' must be 1 to 64 letters, digits, '-' or '_'");
  for (const std::string& url : servers)
    if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
      throw std::invalid_argument("--bus: '" + url + "' is not a NATS URL (nats://host:port or tls://host:port)");
  c.creds_file = creds_file;
  c.tls_ca_file = tls_ca_file;
  c.max_buffered = max_buffered;
  return c;
}

bus::BusEndpoint BusOptions::endpoint(const std::string& client_name) const {
  return {servers, client_name, creds_file, tls_ca_file};
}

}  // namespace tw::app
