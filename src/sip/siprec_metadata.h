#pragma once
// SIPREC recording metadata (RFC 7865 model, XML namespace urn:ietf:params:xml:ns:recording:1,
// carried as application/rs-metadata+xml, RFC 7866 §9 / RFC 9806): who takes part in the
// recorded call, which media streams there are, and who sends and receives each.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tw::sip {

/// RFC 7865 §6.1.1 dataMode: a complete snapshot or a partial update of the previous one.
enum class DataMode { complete, partial };

/// One value of vendor extension data (RFC 7865 §6.1.2 <extensiondata>, or an element of
/// another namespace: an Oracle/Acme Packet SBC's UCID and calling-party flag, Cisco's and
/// Avaya's call ids): a leaf element's text or an attribute's value.
struct ExtensionValue {
  std::string namespace_uri;  ///< the element's namespace ("http://acmepacket.com/siprec/extensiondata")
  std::string name;           ///< local names below <extensiondata>, '/'-joined; an attribute as "element@name"
  std::string value;
};

/// One extension element: its raw XML, and its values for the call's metadata.
struct MetadataExtension {
  std::string xml;
  std::vector<ExtensionValue> values;
};

/// One nameID of a participant (RFC 7865 §6.5): an address of record and its display names.
struct MetadataName {
  std::string aor;                 ///< the aor attribute (a SIP or tel URI)
  std::vector<std::string> names;  ///< the <name> elements' text, in order
};

/// A communication session group (RFC 7865 §6.2).
struct MetadataGroup {
  std::string id;                       ///< group_id
  std::vector<MetadataExtension> extensions;  ///< extension elements
};

/// A recorded communication session (RFC 7865 §6.3).
struct MetadataSession {
  std::string id;                             ///< session_id
  std::vector<std::string> sip_session_ids;   ///< <sipSessionID> (RFC 7989 Session-IDs of the recorded call)
  std::string group_ref;                      ///< <group-ref>
  std::vector<MetadataExtension> extensions;
};

/// A participant (RFC 7865 §6.5).
struct MetadataParticipant {
  std::string id;                    ///< participant_id
  std::vector<MetadataName> names;   ///< nameID elements (several are allowed)
  std::vector<MetadataExtension> extensions;
  /// The first AoR, "" when the participant has none.
  std::string aor() const;
  /// The first display name, "" when none.
  std::string display_name() const;
};

/// A media stream (RFC 7865 §6.6): its label ties it to an SDP m= line's a=label.
struct MetadataStream {
  std::string id;          ///< stream_id
  std::string session_id;  ///< session_id attribute
  std::string label;       ///< <label>
  std::vector<MetadataExtension> extensions;
};

/// participantstreamassoc (RFC 7865 §6.10): the streams a participant sends and receives.
struct StreamAssociation {
  std::string participant_id;
  std::vector<std::string> send;  ///< stream ids
  std::vector<std::string> recv;  ///< stream ids
};

/// participantsessionassoc (RFC 7865 §6.9): whether a participant is (still) in a session.
struct SessionAssociation {
  std::string participant_id;
  std::string session_id;
  bool disassociated = false;  ///< a <disassociate-time> was given: the participant left
};

/// The recording metadata model.
struct RecordingMetadata {
  DataMode mode = DataMode::complete;
  std::vector<MetadataGroup> groups;
  std::vector<MetadataSession> sessions;
  std::vector<MetadataParticipant> participants;  ///< in document order
  std::vector<MetadataStream> streams;            ///< in document order
  std::vector<StreamAssociation> stream_associations;
  std::vector<SessionAssociation> session_associations;
  std::vector<MetadataExtension> extensions;  ///< extension elements directly under <recording>
  std::size_t dropped_extensions = 0;   ///< extension elements not kept because of the size limits

  /// The participant with `id`, or nullptr.
  const MetadataParticipant* participant(std::string_view id) const noexcept;
  /// The stream with `id`, or nullptr.
  const MetadataStream* stream(std::string_view id) const noexcept;
  /// The stream whose label is `label`, or nullptr.
  const MetadataStream* stream_by_label(std::string_view label) const noexcept;
  /// The participant that sends stream `stream_id` (its participantstreamassoc lists it in
  /// <send>), or nullptr.
  const MetadataParticipant* sender_of(std::string_view stream_id) const noexcept;
};

/// Bounds on the metadata document.
struct MetadataLimits {
  std::size_t max_bytes = 65536;             ///< the whole XML text
  std::size_t max_entities = 64;             ///< groups, sessions, participants, streams, associations: each
  std::size_t max_values = 32;               ///< names in a nameID, nameIDs, sipSessionIDs, send/recv ids
  std::size_t max_text_bytes = 1024;         ///< one id, label, AoR or name
  std::size_t max_extension_bytes = 4096;    ///< one extension element's raw XML
  std::size_t max_total_extension_bytes = 16384;  ///< all of them
  std::size_t max_extension_values = 16;          ///< values read out of one extension element
};

/// The model, or why the document was refused.
struct MetadataResult {
  std::optional<RecordingMetadata> metadata;
  std::string error;  ///< "" on success
  /// True when the document was read.
  bool ok() const noexcept { return metadata.has_value(); }
};

/// Parses a metadata document with pugixml. Refused: over the size limit; any DOCTYPE or
/// ENTITY declaration (no internal or external entities at all: pugixml never fetches an
/// external entity nor expands a declared one, but a document that declares them is hostile
/// or broken, so it is refused before parsing); malformed XML; a root other than
/// <recording> in the recording namespace; an element missing its id attribute; the limits.
/// Elements of other namespaces (and <extensiondata>) are kept as raw XML text, bounded, with
/// their leaf texts and attributes read out as values (ExtensionValue).
/// Prefixed names are resolved through their xmlns declarations. Never throws for bad input.
MetadataResult parse_recording_metadata(std::string_view xml, const MetadataLimits& limits = {});

/// The model after `update` (RFC 7866 §6.2 and RFC 7865 §6.1.1): a complete update replaces
/// `previous`; a partial one is merged into it by id. An entity with a new id is added; one
/// with a known id has the fields the update gives replaced (a stream's label, a participant's
/// nameIDs, a session's sipSessionIDs, extensions), and keeps the others. A participant's
/// participantstreamassoc in the update states its current send and recv lists and replaces
/// the previous one (a stream it no longer sends is gone from the list). The result's mode is complete.
/// Bounded like a parsed document: entities past `limits.max_entities` of a kind and extensions past
/// `limits.max_total_extension_bytes` are not added (extensions dropped are counted), so that a long
/// call's many updates cannot grow the model without end.
RecordingMetadata merge_metadata(const RecordingMetadata& previous, const RecordingMetadata& update,
                                 const MetadataLimits& limits = {});

}  // namespace tw::sip
