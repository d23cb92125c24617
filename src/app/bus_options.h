#pragma once
// `serve`'s fleet-bus flags (issue 25): --bus, --instance-id, --bus-creds, --bus-tls-ca,
// --bus-buffer, --bus-replicas, --no-fleet-view, and the publisher configuration they make.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "bus/bus_publisher.h"

namespace tw::app {

struct BusOptions {
  std::vector<std::string> servers;  ///< NATS URLs (comma-separated or repeated); empty: no bus
  std::string instance_id;           ///< default: the host name, made a valid id
  std::string creds_file;
  std::string tls_ca_file;
  std::size_t max_buffered = 100000;
  int stream_replicas = 1;           ///< the event stream's copies in a JetStream cluster, when an instance makes it
  /// Off: publish this instance's calls, but show only them (no other instance's calls,
  /// alerts or acknowledgements, no split-call check): a large fleet's other instances
  /// need not each read every calls message (docs/fleet.md).
  bool fleet_view = true;

  void add_to(CLI::App* cmd);
  bool enabled() const noexcept { return !servers.empty(); }
  /// The publisher's configuration; throws std::invalid_argument naming the flag.
  bus::BusConfig config() const;
  /// Where the bus is, for the fleet subscriber (`client_name` names the instance).
  bus::BusEndpoint endpoint(const std::string& client_name) const;
};

/// The host name as an instance id: letters, digits, '-' and '_' kept, others '-', at most
/// 64 bytes; "tonewatch" when there is none.
std::string default_instance_id();

}  // namespace tw::app
