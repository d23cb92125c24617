#pragma once
// Who a channel of a call belongs to.

#include <optional>
#include <string>
#include <string_view>

namespace tw::features {

enum class SpeakerRole { caller, agent };

inline constexpr std::string_view to_string(SpeakerRole role) noexcept {
  return role == SpeakerRole::caller ? "caller" : "agent";
}

inline std::optional<SpeakerRole> parse_speaker_role(std::string_view name) noexcept {
  if (name == "caller") return SpeakerRole::caller;
  if (name == "agent") return SpeakerRole::agent;
  return std::nullopt;
}

}  // namespace tw::features
