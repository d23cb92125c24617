#pragma once
// Which channel of a recording holds which speaker.

#include <string>
#include <vector>

#include "features/speaker_role.h"

namespace tw::pipeline {

/// Default layout of a two-channel recording: left = caller, right = agent
/// (the convention of, for example, Amazon Connect call recordings).
inline constexpr const char* kDefaultChannelLayout = "caller,agent";

struct ChannelLayout {
  std::vector<features::SpeakerRole> stereo{features::SpeakerRole::caller, features::SpeakerRole::agent};
  /// The role of the one speaker in a mono recording.
  features::SpeakerRole mono = features::SpeakerRole::caller;

  /// Roles for a recording with `channels` channels (1 or 2; validated by the reader).
  std::vector<features::SpeakerRole> roles_for(int channels) const;
};

/// Parses "caller,agent" or "agent,caller". Throws std::invalid_argument with a usable message.
std::vector<features::SpeakerRole> parse_channel_layout(const std::string& text);

}  // namespace tw::pipeline
