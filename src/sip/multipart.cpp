#include "sip/multipart.h"

namespace tw::sip {

namespace {

// Where a delimiter line starts and where the content after it starts.
struct Delimiter {
  std::size_t line_start = 0;     // offset of the "--" that starts the delimiter
  std::size_t content_start = 0;  // just past the delimiter line's line break (or end of body)
  bool closing = false;           // "--boundary--"
};

// RFC 2046 §5.1.1: a delimiter is "--" boundary at the beginning of a line, then either
// "--" (the close delimiter) or transport padding (spaces/tabs) and the line break.
std::optional<Delimiter> find_delimiter(std::string_view body, std::string_view boundary, std::size_t from) {
  const std::string dash_boundary = "--" + std::string(boundary);
  std::size_t at = from;
  while (true) {
    const std::size_t found = body.find(dash_boundary, at);
    if (found == std::string_view::npos) return std::nullopt;
    at = found + 1;
    if (found != 0 && body[found - 1] != '\n') continue;  // not at the start of a line
    std::size_t after = found + dash_boundary.size();
    Delimiter delimiter;
    delimiter.line_start = found;
    if (body.substr(after, 2) == "--") {
      delimiter.closing = true;
      after += 2;
    }
    while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
    if (after == body.size()) {
      delimiter.content_start = after;
    } else if (body[after] == '\n') {
      delimiter.content_start = after + 1;
    } else if (body[after] == '\r' && after + 1 < body.size() && body[after + 1] == '\n') {
      delimiter.content_start = after + 2;
    } else if (delimiter.closing) {
      // The close delimiter may be followed by an epilogue on the same line in practice; §5.1.1
      // gives the epilogue no meaning, so what follows is ignored.
      delimiter.content_start = after;
    } else {
      continue;  // "--boundaryXYZ": the boundary is only a prefix of this line
    }
    return delimiter;
  }
}

std::string_view without_line_break(std::string_view text) {
  // §5.1.1: the CRLF before a delimiter belongs to the delimiter, not to the part.
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

bool parse_part(std::string_view raw, const MultipartLimits& limits, BodyPart& part, std::string& error) {
  // RFC 2046 §5.1.1: body-part := MIME-part-headers [CRLF *OCTET]. A part starting with
  // an empty line has no headers.
  std::size_t at = 0;
  while (true) {
    if (at >= raw.size()) break;  // headers only, no content
    std::size_t lf = raw.find('\n', at);
    if (lf == std::string_view::npos) lf = raw.size();
    std::string_view line = raw.substr(at, lf - at);
    const std::size_t next = lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      at = next;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      // RFC 5322 §2.2.3 folding, as in SIP (RFC 3261 §7.3.1).
      if (part.headers.empty()) {
        error = "continuation line before the first part header";
        return false;
      }
      part.headers.back().value += " " + std::string(trim_spaces_and_tabs(line));
    } else {
      const std::size_t colon = line.find(':');
      const std::string_view name = colon == std::string_view::npos ? std::string_view{} : trim_spaces_and_tabs(line.substr(0, colon));
      if (!is_token(name)) {
        error = "a part header is not name: value";
        return false;
      }
      if (part.headers.size() >= limits.max_part_headers) {
        error = "more than " + std::to_string(limits.max_part_headers) + " headers in a part";
        return false;
      }
      part.headers.push_back(Header{std::string(name), std::string(trim_spaces_and_tabs(line.substr(colon + 1)))});
    }
    at = next;
  }
  part.body = std::string(raw.substr(std::min(at, raw.size())));
  // §5.1: a part without Content-Type is text/plain (charset us-ascii).
  if (const std::string* value = part.header("Content-Type")) {
    const auto type = parse_media_type(*value);
    if (!type) {
      error = "a part's Content-Type is not type/subtype";
      return false;
    }
    part.content_type = *type;
  } else {
    part.content_type = MediaType{"text", "plain", {}};
  }
  // RFC 2183 §2 (and RFC 3261 §20.11): disposition-type *( ";" parameter ).
  if (const std::string* value = part.header("Content-Disposition"))
    part.disposition = ascii_lowered(trim_spaces_and_tabs(std::string_view(*value).substr(0, value->find(';'))));
  if (const std::string* value = part.header("Content-ID")) {
    std::string_view id = trim_spaces_and_tabs(*value);
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
    part.content_id = std::string(id);
  }
  return true;
}

}  // namespace

const std::string* BodyPart::header(std::string_view name) const noexcept {
  for (const Header& h : headers)
    if (ascii_iequals(h.name, name)) return &h.value;
  return nullptr;
}

MultipartResult parse_multipart(std::string_view body, std::string_view boundary, const MultipartLimits& limits) {
  MultipartResult result;
  // RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, so 1 to 70 characters.
  if (boundary.empty() || boundary.size() > 70) {
    result.error = "the multipart boundary is empty or longer than 70 characters (RFC 2046 §5.1.1)";
    return result;
  }
  auto delimiter = find_delimiter(body, boundary, 0);
  if (!delimiter) {
    result.error = "the multipart body has no boundary delimiter";
    return result;
  }
  if (delimiter->closing) {
    result.error = "the multipart body has no parts (RFC 2046 §5.1.1 needs at least one)";
    return result;
  }
  while (true) {
    const auto next = find_delimiter(body, boundary, delimiter->content_start);
    if (!next) {
      result.error = "the multipart body has no closing delimiter (truncated?)";
      result.parts.clear();
      return result;
    }
    if (result.parts.size() >= limits.max_parts) {
      result.error = "more than " + std::to_string(limits.max_parts) + " body parts";
      result.parts.clear();
      return result;
    }
    // A delimiter line directly after another (no line break between) gives an empty part.
    const std::size_t end = std::max(next->line_start, delimiter->content_start);
    BodyPart part;
    std::string error;
    if (!parse_part(without_line_break(body.substr(delimiter->content_start, end - delimiter->content_start)), limits,
                    part, error)) {
      result.error = "body part " + std::to_string(result.parts.size() + 1) + ": " + error;
      result.parts.clear();
      return result;
    }
    result.parts.push_back(std::move(part));
    if (next->closing) return result;  // §5.1.1: what follows the close delimiter is the epilogue
    delimiter = next;
  }
}

const BodyPart* find_part(const std::vector<BodyPart>& parts, std::string_view type_slash_subtype) noexcept {
  for (const BodyPart& part : parts)
    if (part.content_type.is(type_slash_subtype)) return &part;
  return nullptr;
}

}  // namespace tw::sip
