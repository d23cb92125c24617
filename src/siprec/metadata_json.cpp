#include "siprec/metadata_json.h"

#include <nlohmann/json.hpp>

namespace tw::siprec {

std::string metadata_to_json(const sip::RecordingMetadata& metadata, const std::vector<sip::StreamRole>& roles) {
  using nlohmann::json;
  json out = json::object();
  json groups = json::array();
  for (const auto& group : metadata.groups) groups.push_back({{"id", group.id}});
  json sessions = json::array();
  for (const auto& session : metadata.sessions)
    sessions.push_back({{"id", session.id}, {"sip_session_ids", session.sip_session_ids}, {"group_ref", session.group_ref}});
  json participants = json::array();
  std::size_t extensions = metadata.extensions.size();
  for (const auto& group : metadata.groups) extensions += group.extensions.size();
  for (const auto& session : metadata.sessions) extensions += session.extensions.size();
  for (const auto& participant : metadata.participants) {
    json names = json::array();
    for (const auto& name : participant.names) names.push_back({{"aor", name.aor}, {"names", name.names}});
    participants.push_back({{"id", participant.id}, {"names", std::move(names)}});
    extensions += participant.extensions.size();
  }
  json streams = json::array();
  for (const auto& stream : metadata.streams) {
    streams.push_back({{"id", stream.id}, {"session_id", stream.session_id}, {"label", stream.label}});
    extensions += stream.extensions.size();
  }
  // Vendor data, flattened: where it was (the document, or which entity), and each value.
  json extension_data = json::array();
  auto add_values = [&extension_data](std::string_view scope, const std::string& id,
                                      const std::vector<sip::MetadataExtension>& found) {
    for (const auto& extension : found)
      for (const auto& value : extension.values)
        extension_data.push_back({{"scope", scope}, {"id", id}, {"namespace", value.namespace_uri},
                                  {"name", value.name}, {"value", value.value}});
  };
  add_values("recording", "", metadata.extensions);
  for (const auto& group : metadata.groups) add_values("group", group.id, group.extensions);
  for (const auto& session : metadata.sessions) add_values("session", session.id, session.extensions);
  for (const auto& participant : metadata.participants) add_values("participant", participant.id, participant.extensions);
  for (const auto& stream : metadata.streams) add_values("stream", stream.id, stream.extensions);
  json associations = json::array();
  for (const auto& association : metadata.stream_associations)
    associations.push_back(
        {{"participant_id", association.participant_id}, {"send", association.send}, {"recv", association.recv}});
  json role_list = json::array();
  for (const auto& role : roles)
    role_list.push_back({{"label", role.label},
                         {"stream_id", role.stream_id},
                         {"role", features::to_string(role.role)},
                         {"basis", sip::to_string(role.basis)},
                         {"participant_id", role.participant_id},
                         {"aor", role.aor},
                         {"name", role.name}});
  out["groups"] = std::move(groups);
  out["sessions"] = std::move(sessions);
  out["participants"] = std::move(participants);
  out["streams"] = std::move(streams);
  out["stream_associations"] = std::move(associations);
  out["roles"] = std::move(role_list);
  out["extensions"] = extensions;
  out["extension_data"] = std::move(extension_data);
  // Peer text may hold any bytes: replace invalid UTF-8 rather than throw (nlohmann's dump
  // throws type_error 316 on it by default).
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace tw::siprec
