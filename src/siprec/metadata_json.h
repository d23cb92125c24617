#pragma once
// The recording metadata (RFC 7865) and the stream roles as one JSON document, for the
// call's metadata (dashboard, summary). Field names follow RFC 7865's element names.

#include <string>
#include <vector>

#include "sip/siprec_metadata.h"
#include "sip/stream_roles.h"

namespace tw::siprec {

/// `metadata` and `roles` as compact JSON:
/// {"groups":[{"id"}], "sessions":[{"id","sip_session_ids":[],"group_ref"}],
///  "participants":[{"id","names":[{"aor","names":[]}]}], "streams":[{"id","session_id","label"}],
///  "stream_associations":[{"participant_id","send":[],"recv":[]}],
///  "roles":[{"label","stream_id","role","basis","participant_id","aor","name"}],
///  "extensions": n (count of extension elements kept, their raw XML is not copied),
///  "extension_data":[{"scope":"recording|group|session|participant|stream","id","namespace","name","value"}]}.
std::string metadata_to_json(const sip::RecordingMetadata& metadata, const std::vector<sip::StreamRole>& roles);

}  // namespace tw::siprec
