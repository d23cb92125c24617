#include "bus/bus_subjects.h"

namespace tw::bus {

std::string subject_token(std::string_view text) {
  if (text.empty()) return "_";
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '.' || c == '*' || c == '>' || byte <= 0x20 || byte == 0x7f) c = '_';
  }
  return out;
}

std::string event_subject(std::string_view instance, std::string_view call_id, bool notify) {
  return "tonewatch.events." + subject_token(instance) + "." + subject_token(call_id) + (notify ? ".notify" : ".event");
}

std::string heartbeat_subject(std::string_view instance) { return "tonewatch.heartbeat." + subject_token(instance); }

std::string calls_subject(std::string_view instance) { return "tonewatch.calls." + subject_token(instance); }

std::string acks_subject(std::string_view instance) { return "tonewatch.acks." + subject_token(instance); }

std::string view_subject(std::string_view instance) { return "tonewatch.view." + subject_token(instance); }

std::string event_message_id(std::string_view instance, std::string_view run, std::string_view call_id, std::uint64_t sequence) {
  return std::string(instance) + ":" + std::string(run) + ":" + std::string(call_id) + ":" + std::to_string(sequence);
}

bool valid_instance_id(std::string_view instance) noexcept {
  if (instance.empty() || instance.size() > 64) return false;
  for (const char c : instance) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace tw::bus
