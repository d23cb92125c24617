#include "sip/stream_roles.h"

#include "sip/sip_text.h"

namespace tw::sip {

namespace {


bool is_agent(const MetadataParticipant& participant, const std::vector<std::string>& patterns) {
  for (const MetadataName& name : participant.names)
    for (const std::string& pattern : patterns)
      if (!name.aor.empty() && glob_match(pattern, name.aor)) return true;
  return false;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Iterative glob with one backtrack point: on a mismatch, the last '*' takes one more
  // character. Enough for '*' and '?' (no classes), and bounded by pattern x text steps.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || ascii_lower(pattern[p]) == ascii_lower(text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view to_string(RoleBasis basis) noexcept {
  switch (basis) {
    case RoleBasis::agent_pattern: return "agent_pattern";
    case RoleBasis::first_participant: return "first_participant";
    case RoleBasis::stream_order: return "stream_order";
  }
  return "first_participant";
}

std::vector<StreamRole> decide_stream_roles(const RecordingMetadata& metadata,
                                            const std::vector<std::string>& agent_patterns) {
  // Rule 2 applies only when the patterns split the senders into agents and others.
  std::size_t senders = 0;
  std::size_t matching = 0;
  for (const MetadataStream& stream : metadata.streams) {
    if (const MetadataParticipant* sender = metadata.sender_of(stream.id)) {
      ++senders;
      if (is_agent(*sender, agent_patterns)) ++matching;
    }
  }
  const bool by_pattern = matching > 0 && matching < senders;
  const std::string first_participant = metadata.participants.empty() ? std::string{} : metadata.participants.front().id;

  std::vector<StreamRole> out;
  for (std::size_t i = 0; i < metadata.streams.size(); ++i) {
    const MetadataStream& stream = metadata.streams[i];
    StreamRole role;
    role.label = stream.label;
    role.stream_id = stream.id;
    const MetadataParticipant* sender = metadata.sender_of(stream.id);
    if (sender == nullptr) {
      role.basis = RoleBasis::stream_order;
      role.role = i == 0 ? features::SpeakerRole::caller : features::SpeakerRole::agent;
    } else {
      role.participant_id = sender->id;
      role.aor = sender->aor();
      role.name = sender->display_name();
      if (by_pattern) {
        role.basis = RoleBasis::agent_pattern;
        role.role = is_agent(*sender, agent_patterns) ? features::SpeakerRole::agent : features::SpeakerRole::caller;
      } else {
        role.basis = RoleBasis::first_participant;
        role.role = sender->id == first_participant ? features::SpeakerRole::caller : features::SpeakerRole::agent;
      }
    }
    out.push_back(std::move(role));
  }
  return out;
}

}  // namespace tw::sip
