// libFuzzer target: a SIPREC body (RFC 7866 §9) and its RFC 7865 metadata. The input's
// first line is the Content-Type, the rest the body (multipart/mixed with SDP and
// metadata, or metadata alone); the whole input is also read as metadata XML. The
// promises checked: never throws or crashes; models stay within the limits, merged
// too (extension values too); every stream gets exactly one role.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/siprec_body.h"
#include "sip/siprec_metadata.h"
#include "sip/stream_roles.h"

namespace {

void check_model(const tw::sip::RecordingMetadata& model, const tw::sip::MetadataLimits& limits) {
  if (model.participants.size() > limits.max_entities || model.streams.size() > limits.max_entities ||
      model.stream_associations.size() > limits.max_entities || model.sessions.size() > limits.max_entities)
    __builtin_trap();
  std::size_t extension_bytes = 0;
  auto check_values = [&limits](const std::vector<tw::sip::MetadataExtension>& extensions) {
    for (const auto& extension : extensions) {
      if (extension.values.size() > limits.max_extension_values) __builtin_trap();
      for (const auto& value : extension.values)
        if (value.name.empty() || value.value.size() > limits.max_text_bytes) __builtin_trap();
    }
  };
  for (const auto& extension : model.extensions) extension_bytes += extension.xml.size();
  if (extension_bytes > limits.max_total_extension_bytes) __builtin_trap();
  check_values(model.extensions);
  for (const auto& participant : model.participants) check_values(participant.extensions);
  for (const auto& session : model.sessions) check_values(session.extensions);
  for (const auto& stream : model.streams) check_values(stream.extensions);
  for (const auto& group : model.groups) check_values(group.extensions);
  static const std::vector<std::string> kPatterns = {"sip:*@agents.example.com", "tel:+1555010????", "*a*b*"};
  if (tw::sip::decide_stream_roles(model, kPatterns).size() != model.streams.size()) __builtin_trap();
}

void read_metadata(std::string_view xml) {
  tw::sip::MetadataLimits limits;
  limits.max_entities = 8;
  const tw::sip::MetadataResult result = tw::sip::parse_recording_metadata(xml, limits);
  if (!result.ok()) {
    if (result.error.empty()) __builtin_trap();
    return;
  }
  check_model(*result.metadata, limits);
  // A partial update merged into itself (ids all known) and into an empty model.
  tw::sip::RecordingMetadata partial = *result.metadata;
  partial.mode = tw::sip::DataMode::partial;
  check_model(tw::sip::merge_metadata(*result.metadata, partial, limits), limits);
  check_model(tw::sip::merge_metadata(tw::sip::RecordingMetadata{}, partial, limits), limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t lf = input.find('\n');
  if (lf != std::string_view::npos) {
    const tw::sip::SiprecBody body = tw::sip::split_siprec_body(input.substr(0, lf), input.substr(lf + 1));
    if (body.ok() != body.error.empty()) __builtin_trap();
    if (body.metadata) read_metadata(*body.metadata);
  }
  read_metadata(input);
  return 0;
}
