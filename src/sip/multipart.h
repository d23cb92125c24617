#pragma once
// multipart/mixed bodies (RFC 2046 §5.1): a SIPREC INVITE carries its SDP offer and
// its recording metadata as two parts of one (RFC 7866 §7.2, §9).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/sip_text.h"

namespace tw::sip {

/// One header field of a body part (RFC 2046 §5.1.1, MIME header syntax as in RFC 5322 §2.2).
struct Header {
  std::string name;   ///< as written
  std::string value;  ///< unfolded, trimmed
};

/// One body part: its header fields and its content.
struct BodyPart {
  std::vector<Header> headers;   ///< as received, names as written, values unfolded and trimmed
  MediaType content_type;        ///< RFC 2046 §5.1: text/plain when the part has no Content-Type
  std::string disposition;       ///< Content-Disposition value without parameters, lower case ("session", "recording-session"), "" when absent
  std::string content_id;        ///< Content-ID (RFC 2045 §7) without angle brackets, "" when absent
  std::string body;
  /// The value of the part's first header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

/// Bounds on a multipart body.
struct MultipartLimits {
  std::size_t max_parts = 16;           ///< SIPREC needs two (SDP, metadata)
  std::size_t max_part_headers = 20;    ///< header fields in one part
};

/// The parts of a multipart body, or why it was refused.
struct MultipartResult {
  std::vector<BodyPart> parts;
  std::string error;  ///< "" on success
  /// True when the body was split.
  bool ok() const noexcept { return error.empty(); }
};

/// Splits `body` at the delimiter lines of `boundary` (the Content-Type's boundary
/// parameter, already unquoted). Lines may end in CRLF or a bare LF. A preamble before
/// the first delimiter and an epilogue after the closing one are ignored (RFC 2046 §5.1.1).
/// Refused: an empty or over-long boundary (1 to 70 characters), no delimiter, no closing
/// delimiter (a truncated body), a part header that is not `name: value`, or the limits.
/// Never throws for bad input.
MultipartResult parse_multipart(std::string_view body, std::string_view boundary, const MultipartLimits& limits = {});

/// The first part whose Content-Type is `type_slash_subtype` (ignoring case), or nullptr.
const BodyPart* find_part(const std::vector<BodyPart>& parts, std::string_view type_slash_subtype) noexcept;

}  // namespace tw::sip
