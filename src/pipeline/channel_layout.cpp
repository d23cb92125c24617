#include "pipeline/channel_layout.h"

#include <stdexcept>

namespace tw::pipeline {

std::vector<features::SpeakerRole> ChannelLayout::roles_for(int channels) const {
  if (channels == 1) return {mono};
  return stereo;
}

std::vector<features::SpeakerRole> parse_channel_layout(const std::string& text) {
  const auto comma = text.find(',');
  const auto bad = [&] {
    return std::invalid_argument("channel layout '" + text +
                                 "' must name both roles in channel order: 'caller,agent' or 'agent,caller'");
  };
  if (comma == std::string::npos) throw bad();
  const auto first = features::parse_speaker_role(text.substr(0, comma));
  const auto second = features::parse_speaker_role(text.substr(comma + 1));
  if (!first || !second || *first == *second) throw bad();
  return {*first, *second};
}

}  // namespace tw::pipeline
