#pragma once
// A call whose parties came to a fleet as separate streams and reached different instances
// (issue 25). Twilio's one-track streams carry the CallSid only in their first WebSocket
// frame, after HAProxy has chosen an instance, so the caller's stream and the agent's can
// land apart; AudioSocket's legs are kept together by HAProxy's stick table, but one that
// was lost (an HAProxy restart) splits them too. Each instance then analyses half a call,
// and nothing else would say so.
//
// Each instance publishes its one-party calls of those protocols in its calls message
// ("one_party": protocol, the platform's call id, the party it has); another instance that
// holds the other party of the same call finds the pair here and reports it: a log line, a
// metric, and the call's own metadata (so its summary and wallboard row say it too).
//
// Pure: the serve command feeds it once a second with what the registry and the fleet view
// know.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/live_call.h"

namespace tw::server {

class CallRegistry;
class FleetView;
class Metrics;
struct ServerLog;

/// One party of a call whose other party may come as a stream of its own.
struct OnePartyCall {
  std::string call_id;           ///< this instance's id for it (empty for another instance's)
  std::string protocol;          ///< "twilio" or "audiosocket"
  std::string platform_call_id;  ///< the CallSid or the AudioSocket UUID
  std::string role;              ///< the party present: "caller" or "agent"
  std::string instance;          ///< the instance holding it (another's)
};

/// `s` as a one-party call of a protocol that splits calls over streams, or nothing (both
/// parties present, a protocol whose streams carry whole calls, no platform call id).
std::optional<OnePartyCall> one_party_of(const CallStatus& s);
/// The "one_party" field of a calls-message row for it.
nlohmann::json one_party_json(const OnePartyCall& call);
/// Another instance's row's "one_party" field, or nothing when absent or malformed.
std::optional<OnePartyCall> one_party_from_row(const nlohmann::json& row);

/// A call of this instance whose other party streams to another instance.
struct SplitCall {
  OnePartyCall here;
  OnePartyCall there;
  /// The log line, for an operator: what happened, and what to change.
  std::string message() const;
  /// What goes into the call's metadata ("split_across_instances").
  nlohmann::json metadata() const;
};

/// A call's metadata's "split_across_instances" (SplitCall::metadata()) as "its agent
/// streams to instance-2", or "" when it has none. Never throws: the key could also come
/// from a platform's own metadata, in any shape.
std::string split_text(const nlohmann::json& metadata);

class SplitCallDetector {
 public:
  /// The calls of `own` whose other party is in `others` (same protocol and platform call
  /// id, the other role), each reported once while it stays in `own`.
  std::vector<SplitCall> check(const std::vector<OnePartyCall>& own, const std::vector<OnePartyCall>& others);

 private:
  std::set<std::string> reported_;  // own call ids
};

/// One round of the check with `active` (the registry's live calls, as the calls message of
/// the same second is made from: copied once) and what `fleet` knows of the others: each
/// split call found is logged ("split_call"), counted (tonewatch_fleet_split_calls_total)
/// and marked in its metadata through `registry`. Once a second, on the bus's thread.
void report_split_calls(SplitCallDetector& detector, const std::vector<CallStatus>& active, CallRegistry& registry,
                        FleetView& fleet, const ServerLog& log, Metrics& metrics);

}  // namespace tw::server
