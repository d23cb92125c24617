#pragma once
// The two payloads of a SIPREC request body (RFC 7866 §9): the SDP offer and the
// recording metadata, alone or as parts of a multipart/mixed body.

#include <optional>
#include <string>
#include <string_view>

#include "sip/multipart.h"
#include "sip/sip_text.h"

namespace tw::sip {

/// The SDP and the metadata found in a body, or why the body was refused.
struct SiprecBody {
  std::optional<std::string> sdp;       ///< application/sdp
  std::optional<std::string> metadata;  ///< application/rs-metadata+xml (or the older application/rs-metadata)
  int status_code = 0;  ///< 0, or the response the body calls for: 400 (malformed) or 415 (a type we do not take)
  std::string error;    ///< "" on success
  /// True when the body was read (it may hold neither payload: an empty body).
  bool ok() const noexcept { return status_code == 0; }
};

/// True for the metadata media types: `application/rs-metadata+xml` (RFC 9806) and
/// `application/rs-metadata` (RFC 7866 as first published, still sent by SBCs in the field).
bool is_recording_metadata_type(const MediaType& type) noexcept;

/// Splits a request's body by its Content-Type: application/sdp, a metadata type, or
/// multipart/mixed holding them (other parts are ignored, RFC 7866 §9 lets an SRC add
/// its own). An empty body gives neither. Refused: a multipart without a boundary or
/// malformed (400), two SDP or two metadata parts (400), any other top-level type (415).
SiprecBody split_siprec_body(std::string_view content_type, std::string_view body,
                             const MultipartLimits& limits = {});

}  // namespace tw::sip
