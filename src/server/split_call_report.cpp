#include "server/split_calls.h"

// report_split_calls: the detector fed from the registry and the fleet view, apart from
// the pure rules in split_calls.cpp (which the fleet messages' fuzz target links alone).

#include "server/call_registry.h"
#include "server/fleet_view.h"
#include "server/metrics.h"
#include "server/server_log.h"

namespace tw::server {

void report_split_calls(SplitCallDetector& detector, const std::vector<CallStatus>& active, CallRegistry& registry,
                        FleetView& fleet, const ServerLog& log, Metrics& metrics) {
  std::vector<OnePartyCall> own, others;
  for (const CallStatus& s : active) {
    if (auto one = one_party_of(s)) own.push_back(std::move(*one));
  }
  if (own.empty()) return;
  for (const nlohmann::json& row : fleet.rows()) {
    if (auto one = one_party_from_row(row)) others.push_back(std::move(*one));
  }
  for (const SplitCall& split : detector.check(own, others)) {
    registry.add_metadata(split.here.call_id, split.metadata());
    metrics.counter("tonewatch_fleet_split_calls_total", "Calls whose other party streams to another instance of the fleet").add();
    log.write("split_call", split.message(),
              {{"call", split.here.call_id}, {"protocol", split.here.protocol}, {"platform_call_id", split.here.platform_call_id},
               {"role", split.here.role}, {"other_role", split.there.role}, {"other_instance", split.there.instance}});
  }
}

}  // namespace tw::server
