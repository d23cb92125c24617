#include "sip/siprec_metadata.h"

#include <pugixml.hpp>

#include <cstring>

#include "sip/sip_text.h"

namespace tw::sip {

namespace {

// RFC 7865 §9 (XML schema) and §12.1 (namespace registration).
constexpr std::string_view kRecordingNamespace = "urn:ietf:params:xml:ns:recording:1";

std::string_view local_name(const pugi::xml_node& node) noexcept {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Namespaces in XML 1.0 §6: an element's prefix (or the default namespace when it has none)
// is bound by the nearest xmlns declaration on it or an ancestor.
std::string_view namespace_of(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  const std::string attribute =
      colon == std::string_view::npos ? std::string("xmlns") : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node at = node; at && at.type() == pugi::node_element; at = at.parent())
    if (const pugi::xml_attribute declared = at.attribute(attribute.c_str())) return declared.value();
  return {};
}

// The value of the attribute with local name `name` (draft-era documents, such as early
// Acme Packet ones, also wrote plain "id"): unprefixed first, then any prefix.
std::string_view attribute_of(const pugi::xml_node& node, std::string_view name) {
  for (const pugi::xml_attribute& a : node.attributes()) {
    const std::string_view attribute = a.name();
    const std::size_t colon = attribute.find(':');
    if ((colon == std::string_view::npos ? attribute : attribute.substr(colon + 1)) == name) return a.value();
  }
  return {};
}

bool is_xml_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Element text with surrounding XML white space removed and inner runs of it made one space.
std::string text_of(const pugi::xml_node& node) {
  std::string out;
  bool space = false;
  for (const char c : std::string_view(node.child_value())) {
    if (is_xml_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

class StringWriter final : public pugi::xml_writer {
 public:
  void write(const void* data, std::size_t size) override { text.append(static_cast<const char*>(data), size); }
  std::string text;
};

class Reader {
 public:
  explicit Reader(const MetadataLimits& limits) : limits_(limits) {}

  bool read(const pugi::xml_node& root, RecordingMetadata& model) {
    if (local_name(root) != "recording" || namespace_of(root) != kRecordingNamespace)
      return fail("the root element is not <recording> in " + std::string(kRecordingNamespace) + " (RFC 7865 §9)");
    for (const pugi::xml_node& child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      if (!is_recording(child)) {
        keep_extension(child, model.extensions, model);
        continue;
      }
      const std::string_view name = local_name(child);
      bool ok = true;
      // RFC 7865 §9 names the element "datamode" (of type dataMode); both spellings are taken.
      if (ascii_iequals(name, "datamode")) ok = read_mode(child, model);
      else if (name == "group") ok = read_group(child, model);
      else if (name == "session") ok = read_session(child, model);
      else if (name == "participant") ok = read_participant(child, model);
      else if (name == "stream") ok = read_stream(child, model);
      else if (name == "participantstreamassoc") ok = read_stream_association(child, model);
      else if (name == "participantsessionassoc") ok = read_session_association(child, model);
      // sessionrecordingassoc and elements of later revisions: nothing we need.
      if (!ok) return false;
    }
    return true;
  }

  const std::string& error() const noexcept { return error_; }

 private:
  bool fail(std::string error) {
    error_ = std::move(error);
    return false;
  }

  static bool is_recording(const pugi::xml_node& node) {
    return namespace_of(node) == kRecordingNamespace && !ascii_iequals(local_name(node), "extensiondata");
  }

  bool checked_text(const pugi::xml_node& node, std::string& out, std::string_view what) {
    out = text_of(node);
    if (out.size() > limits_.max_text_bytes) return fail(std::string(what) + " is over the size limit");
    return true;
  }

  bool checked_id(const pugi::xml_node& node, std::string_view attribute, std::string& out) {
    std::string_view id = attribute_of(node, attribute);
    if (id.empty()) id = attribute_of(node, "id");
    if (id.empty())
      return fail("<" + std::string(local_name(node)) + "> has no " + std::string(attribute) + " (RFC 7865 §9)");
    if (id.size() > limits_.max_text_bytes) return fail("an id is over the size limit");
    out = std::string(id);
    return true;
  }

  template <typename T>
  bool room(const std::vector<T>& items, std::string_view what) {
    if (items.size() >= limits_.max_entities)
      return fail("more than " + std::to_string(limits_.max_entities) + " " + std::string(what));
    return true;
  }

  // Vendor data (Cisco's and Avaya's, standardized extensions such as RFC 7865 §11's
  // examples) kept as raw XML for the call's metadata, within the size limits.
  void keep_extension(const pugi::xml_node& node, std::vector<MetadataExtension>& into, RecordingMetadata& model) {
    StringWriter writer;
    node.print(writer, "", pugi::format_raw);
    if (writer.text.size() > limits_.max_extension_bytes ||
        extension_bytes_ + writer.text.size() > limits_.max_total_extension_bytes) {
      ++model.dropped_extensions;
      return;
    }
    extension_bytes_ += writer.text.size();
    MetadataExtension extension;
    extension.xml = std::move(writer.text);
    // <extensiondata> is only the wrapper (RFC 7865 §6.1.2): names start below it.
    if (ascii_iequals(local_name(node), "extensiondata")) {
      for (const pugi::xml_node& child : node.children())
        if (child.type() == pugi::node_element) read_values(child, "", 0, extension.values);
    } else {
      read_values(node, "", 0, extension.values);
    }
    into.push_back(std::move(extension));
  }

  // The leaves below an extension element: each element's attributes (not xmlns
  // declarations) and, for one without element children, its text. The raw XML's size
  // bounds the work; the count and the depth are bounded too.
  void read_values(const pugi::xml_node& node, const std::string& parent, int depth, std::vector<ExtensionValue>& values) {
    constexpr int kMaxDepth = 8;
    if (depth >= kMaxDepth) return;
    const std::string path = parent.empty() ? std::string(local_name(node)) : parent + "/" + std::string(local_name(node));
    const std::string namespace_uri(namespace_of(node));
    auto add = [&](std::string name, std::string value) {
      if (values.size() >= limits_.max_extension_values || value.size() > limits_.max_text_bytes) return;
      values.push_back({namespace_uri, std::move(name), std::move(value)});
    };
    for (const pugi::xml_attribute& attribute : node.attributes()) {
      const std::string_view name = attribute.name();
      if (name == "xmlns" || name.rfind("xmlns:", 0) == 0) continue;
      const std::size_t colon = name.find(':');
      add(path + "@" + std::string(colon == std::string_view::npos ? name : name.substr(colon + 1)), attribute.value());
    }
    bool has_elements = false;
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      has_elements = true;
      read_values(child, path, depth + 1, values);
    }
    if (!has_elements) {
      std::string text = text_of(node);
      if (!text.empty()) add(path, std::move(text));
    }
  }

  bool read_mode(const pugi::xml_node& node, RecordingMetadata& model) {
    // RFC 7865 §6.1.1 / §9: dataMode is "complete" or "partial".
    const std::string mode = text_of(node);
    if (mode == "complete") model.mode = DataMode::complete;
    else if (mode == "partial") model.mode = DataMode::partial;
    else return fail("dataMode is neither complete nor partial");
    return true;
  }

  bool read_group(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.groups, "groups")) return false;
    MetadataGroup group;
    if (!checked_id(node, "group_id", group.id)) return false;
    for (const pugi::xml_node& child : node.children())
      if (child.type() == pugi::node_element && !is_recording(child)) keep_extension(child, group.extensions, model);
    model.groups.push_back(std::move(group));
    return true;
  }

  bool read_session(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.sessions, "sessions")) return false;
    MetadataSession session;
    if (!checked_id(node, "session_id", session.id)) return false;
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      if (!is_recording(child)) {
        keep_extension(child, session.extensions, model);
      } else if (local_name(child) == "sipSessionID") {
        if (session.sip_session_ids.size() >= limits_.max_values) return fail("too many sipSessionIDs");
        std::string id;
        if (!checked_text(child, id, "a sipSessionID")) return false;
        // RFC 7989 §4: "local-uuid;remote=remote-uuid"; the space an SRC may fold in is dropped.
        std::erase(id, ' ');
        session.sip_session_ids.push_back(std::move(id));
      } else if (local_name(child) == "group-ref") {
        if (!checked_text(child, session.group_ref, "a group-ref")) return false;
      }
    }
    model.sessions.push_back(std::move(session));
    return true;
  }

  bool read_name_id(const pugi::xml_node& node, MetadataParticipant& participant) {
    if (participant.names.size() >= limits_.max_values) return fail("too many nameIDs");
    MetadataName name;
    name.aor = trim_spaces_and_tabs(attribute_of(node, "aor"));
    if (name.aor.size() > limits_.max_text_bytes) return fail("an aor is over the size limit");
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element || !is_recording(child) || local_name(child) != "name") continue;
      if (name.names.size() >= limits_.max_values) return fail("too many names in a nameID");
      std::string text;
      if (!checked_text(child, text, "a name")) return false;
      name.names.push_back(std::move(text));
    }
    participant.names.push_back(std::move(name));
    return true;
  }

  bool read_participant(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.participants, "participants")) return false;
    MetadataParticipant participant;
    if (!checked_id(node, "participant_id", participant.id)) return false;
    StreamAssociation association{participant.id, {}, {}};
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view name = local_name(child);
      if (!is_recording(child)) {
        keep_extension(child, participant.extensions, model);
      } else if (name == "nameID" || name == "nameId") {
        if (!read_name_id(child, participant)) return false;
      } else if (name == "send" || name == "recv") {
        // Draft-era SRCs (draft-ietf-siprec-metadata before RFC 7865) list send and recv
        // inside <participant>; read them as its participantstreamassoc.
        if (!read_stream_ref(child, name == "send" ? association.send : association.recv)) return false;
      }
    }
    model.participants.push_back(std::move(participant));
    if (!association.send.empty() || !association.recv.empty()) {
      if (!room(model.stream_associations, "participantstreamassocs")) return false;
      model.stream_associations.push_back(std::move(association));
    }
    return true;
  }

  bool read_stream(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.streams, "streams")) return false;
    MetadataStream stream;
    if (!checked_id(node, "stream_id", stream.id)) return false;
    stream.session_id = std::string(attribute_of(node, "session_id"));
    if (stream.session_id.size() > limits_.max_text_bytes) return fail("an id is over the size limit");
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      if (!is_recording(child)) keep_extension(child, stream.extensions, model);
      else if (local_name(child) == "label" && !checked_text(child, stream.label, "a label")) return false;
    }
    model.streams.push_back(std::move(stream));
    return true;
  }

  bool read_stream_ref(const pugi::xml_node& node, std::vector<std::string>& into) {
    if (into.size() >= limits_.max_values) return fail("too many send or recv streams");
    std::string id;
    if (!checked_text(node, id, "a stream id")) return false;
    if (!id.empty()) into.push_back(std::move(id));
    return true;
  }

  bool read_stream_association(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.stream_associations, "participantstreamassocs")) return false;
    StreamAssociation association;
    if (!checked_id(node, "participant_id", association.participant_id)) return false;
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element || !is_recording(child)) continue;
      const std::string_view name = local_name(child);
      if (name == "send" && !read_stream_ref(child, association.send)) return false;
      if (name == "recv" && !read_stream_ref(child, association.recv)) return false;
    }
    model.stream_associations.push_back(std::move(association));
    return true;
  }

  bool read_session_association(const pugi::xml_node& node, RecordingMetadata& model) {
    if (!room(model.session_associations, "participantsessionassocs")) return false;
    SessionAssociation association;
    if (!checked_id(node, "participant_id", association.participant_id)) return false;
    association.session_id = std::string(attribute_of(node, "session_id"));
    if (association.session_id.size() > limits_.max_text_bytes) return fail("an id is over the size limit");
    for (const pugi::xml_node& child : node.children())
      if (child.type() == pugi::node_element && is_recording(child) && local_name(child) == "disassociate-time")
        association.disassociated = true;
    model.session_associations.push_back(std::move(association));
    return true;
  }

  const MetadataLimits& limits_;
  std::size_t extension_bytes_ = 0;
  std::string error_;
};

bool contains_ignoring_case(std::string_view text, std::string_view word) noexcept {
  if (word.size() > text.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i)
    if (ascii_iequals(text.substr(i, word.size()), word)) return true;
  return false;
}

template <typename T>
T* find_by_id(std::vector<T>& items, const std::string& id) {
  for (T& item : items)
    if (item.id == id) return &item;
  return nullptr;
}

}  // namespace

std::string MetadataParticipant::aor() const {
  for (const MetadataName& name : names)
    if (!name.aor.empty()) return name.aor;
  return {};
}

std::string MetadataParticipant::display_name() const {
  for (const MetadataName& name : names)
    if (!name.names.empty()) return name.names.front();
  return {};
}

const MetadataParticipant* RecordingMetadata::participant(std::string_view id) const noexcept {
  for (const MetadataParticipant& p : participants)
    if (p.id == id) return &p;
  return nullptr;
}

const MetadataStream* RecordingMetadata::stream(std::string_view id) const noexcept {
  for (const MetadataStream& s : streams)
    if (s.id == id) return &s;
  return nullptr;
}

const MetadataStream* RecordingMetadata::stream_by_label(std::string_view label) const noexcept {
  for (const MetadataStream& s : streams)
    if (s.label == label) return &s;
  return nullptr;
}

const MetadataParticipant* RecordingMetadata::sender_of(std::string_view stream_id) const noexcept {
  for (const StreamAssociation& a : stream_associations)
    for (const std::string& id : a.send)
      if (id == stream_id) return participant(a.participant_id);
  return nullptr;
}

MetadataResult parse_recording_metadata(std::string_view xml, const MetadataLimits& limits) {
  MetadataResult result;
  if (xml.size() > limits.max_bytes) {
    result.error = "metadata is over the " + std::to_string(limits.max_bytes) + "-byte limit";
    return result;
  }
  // No DTDs at all: an internal subset is how entity expansion attacks ("billion laughs")
  // and external entities (XXE) are declared, and RFC 7865's documents need none.
  if (contains_ignoring_case(xml, "<!DOCTYPE") || contains_ignoring_case(xml, "<!ENTITY")) {
    result.error = "metadata with a DOCTYPE or ENTITY declaration is refused";
    return result;
  }
  pugi::xml_document document;
  // parse_doctype keeps any DOCTYPE as a node, so that one that slipped past the scan above
  // is seen and refused too; pugixml expands only the five predefined entities and
  // character references (parse_escapes), never a declared or external one.
  const pugi::xml_parse_result parsed = document.load_buffer(xml.data(), xml.size(),
                                                             pugi::parse_default | pugi::parse_doctype,
                                                             pugi::encoding_utf8);
  if (!parsed) {
    result.error = std::string("metadata is not well-formed XML: ") + parsed.description() + " at byte " +
                   std::to_string(parsed.offset);
    return result;
  }
  for (const pugi::xml_node& node : document.children()) {
    if (node.type() == pugi::node_doctype) {
      result.error = "metadata with a DOCTYPE or ENTITY declaration is refused";
      return result;
    }
  }
  const pugi::xml_node root = document.document_element();
  if (!root) {
    result.error = "metadata has no root element";
    return result;
  }
  RecordingMetadata model;
  Reader reader(limits);
  if (!reader.read(root, model)) {
    result.error = reader.error();
    return result;
  }
  result.metadata = std::move(model);
  return result;
}

RecordingMetadata merge_metadata(const RecordingMetadata& previous, const RecordingMetadata& update,
                                 const MetadataLimits& limits) {
  if (update.mode == DataMode::complete) return update;
  RecordingMetadata out = previous;
  out.mode = DataMode::complete;
  auto add = [&limits](auto& items, const auto& item) {
    if (items.size() < limits.max_entities) items.push_back(item);
  };
  for (const MetadataGroup& group : update.groups) {
    if (MetadataGroup* known = find_by_id(out.groups, group.id)) {
      if (!group.extensions.empty()) known->extensions = group.extensions;
    } else {
      add(out.groups, group);
    }
  }
  for (const MetadataSession& session : update.sessions) {
    if (MetadataSession* known = find_by_id(out.sessions, session.id)) {
      if (!session.sip_session_ids.empty()) known->sip_session_ids = session.sip_session_ids;
      if (!session.group_ref.empty()) known->group_ref = session.group_ref;
      if (!session.extensions.empty()) known->extensions = session.extensions;
    } else {
      add(out.sessions, session);
    }
  }
  for (const MetadataParticipant& participant : update.participants) {
    if (MetadataParticipant* known = find_by_id(out.participants, participant.id)) {
      if (!participant.names.empty()) known->names = participant.names;
      if (!participant.extensions.empty()) known->extensions = participant.extensions;
    } else {
      add(out.participants, participant);
    }
  }
  for (const MetadataStream& stream : update.streams) {
    if (MetadataStream* known = find_by_id(out.streams, stream.id)) {
      if (!stream.label.empty()) known->label = stream.label;
      if (!stream.session_id.empty()) known->session_id = stream.session_id;
      if (!stream.extensions.empty()) known->extensions = stream.extensions;
    } else {
      add(out.streams, stream);
    }
  }
  for (const StreamAssociation& association : update.stream_associations) {
    bool replaced = false;
    for (StreamAssociation& known : out.stream_associations) {
      if (known.participant_id == association.participant_id) {
        known = association;
        replaced = true;
        break;
      }
    }
    if (!replaced) add(out.stream_associations, association);
  }
  for (const SessionAssociation& association : update.session_associations) {
    bool replaced = false;
    for (SessionAssociation& known : out.session_associations) {
      if (known.participant_id == association.participant_id && known.session_id == association.session_id) {
        known = association;
        replaced = true;
        break;
      }
    }
    if (!replaced) add(out.session_associations, association);
  }
  out.dropped_extensions += update.dropped_extensions;
  std::size_t extension_bytes = 0;
  for (const MetadataExtension& extension : out.extensions) extension_bytes += extension.xml.size();
  for (const MetadataExtension& extension : update.extensions) {
    if (extension_bytes + extension.xml.size() > limits.max_total_extension_bytes) {
      ++out.dropped_extensions;
      continue;
    }
    extension_bytes += extension.xml.size();
    out.extensions.push_back(extension);
  }
  return out;
}

}  // namespace tw::sip
