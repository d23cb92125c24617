#include "sip/siprec_body.h"

namespace tw::sip {

namespace {

SiprecBody refuse(int status_code, std::string error) {
  SiprecBody out;
  out.status_code = status_code;
  out.error = std::move(error);
  return out;
}

}  // namespace

bool is_recording_metadata_type(const MediaType& type) noexcept {
  // RFC 9806 registered application/rs-metadata+xml; RFC 7866 §9.1 first named it application/rs-metadata.
  return type.is("application/rs-metadata+xml") || type.is("application/rs-metadata");
}

SiprecBody split_siprec_body(std::string_view content_type, std::string_view body, const MultipartLimits& limits) {
  if (body.empty()) return {};
  const auto type = parse_media_type(content_type);
  if (!type) return refuse(400, "Content-Type is not type/subtype");
  SiprecBody out;
  if (type->is("application/sdp")) {
    out.sdp = std::string(body);
    return out;
  }
  if (is_recording_metadata_type(*type)) {
    out.metadata = std::string(body);
    return out;
  }
  if (!type->is("multipart/mixed"))
    return refuse(415, "body type " + printable(type->type + "/" + type->subtype, 80) + " is not taken");
  // RFC 2046 §5.1.1: the boundary parameter is mandatory for multipart types.
  const auto boundary = type->parameter("boundary");
  if (!boundary) return refuse(400, "multipart/mixed without a boundary parameter (RFC 2046 §5.1.1)");
  MultipartResult parts = parse_multipart(body, *boundary, limits);
  if (!parts.ok()) return refuse(400, parts.error);
  for (BodyPart& part : parts.parts) {
    if (part.content_type.is("application/sdp")) {
      if (out.sdp) return refuse(400, "two SDP parts in one body");
      out.sdp = std::move(part.body);
    } else if (is_recording_metadata_type(part.content_type)) {
      if (out.metadata) return refuse(400, "two metadata parts in one body");
      out.metadata = std::move(part.body);
    }
  }
  return out;
}

}  // namespace tw::sip
