#pragma once
// Who is who in a SIPREC call: for each recorded stream, whether the caller or the agent
// speaks on it, decided from the recording metadata (RFC 7865) and the operator's agent
// patterns (`--siprec-agent`).
//
// Pattern syntax (a glob on the participant's AoR as the metadata writes it):
//   `*` matches any run of characters (none included), `?` exactly one character,
//   every other character itself, ignoring ASCII case (host names and URI schemes are
//   case-insensitive, RFC 3261 §19.1.4; numbers have no case). A pattern matches the whole AoR.
//   Examples: `sip:*@agents.example.com`, `tel:+1555010????`, `sip:+1555010*@*`.
//
// The decision, in order:
//   1. A stream's speaker is the participant that sends it (participantstreamassoc <send>).
//   2. If some senders' AoRs match a pattern and others do not, the matching ones are
//      agents and the others callers (basis `agent_pattern`).
//   3. Otherwise (no pattern, none matches, or all match) the default: the first participant
//      in the metadata is the caller and every other one an agent (basis `first_participant`).
//      Cisco CUBE and Oracle (Acme Packet) SBCs list the calling party, the From side of the
//      recorded call, first; an SRC that does not can be put right with agent patterns.
//   4. A stream no participant sends (an SRC that writes no associations) falls back on its
//      place among the metadata's streams: the first is the caller's, the others the agent's
//      (basis `stream_order`).

#include <string>
#include <string_view>
#include <vector>

#include "features/speaker_role.h"
#include "sip/siprec_metadata.h"

namespace tw::sip {

/// True when `text` matches the glob `pattern` (`*`, `?`, ASCII case ignored), whole.
/// Linear in practice, at most O(pattern x text) steps; never recursive.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

/// What rule decided a stream's role.
enum class RoleBasis { agent_pattern, first_participant, stream_order };

/// "agent_pattern", "first_participant" or "stream_order".
std::string_view to_string(RoleBasis basis) noexcept;

/// One stream's role and why.
struct StreamRole {
  std::string label;           ///< the stream's label (its SDP a=label)
  std::string stream_id;
  features::SpeakerRole role = features::SpeakerRole::caller;
  RoleBasis basis = RoleBasis::first_participant;
  std::string participant_id;  ///< the sender, "" when none is known
  std::string aor;             ///< the sender's first AoR, "" when none
  std::string name;            ///< the sender's first display name, "" when none
};

/// The role of every stream of `metadata`, in the metadata's stream order, following the rules
/// above. `agent_patterns` may be empty.
std::vector<StreamRole> decide_stream_roles(const RecordingMetadata& metadata,
                                            const std::vector<std::string>& agent_patterns);

}  // namespace tw::sip
