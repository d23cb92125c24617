#include "sip/sip_text.h"

#include <algorithm>

namespace tw::sip {

std::vector<std::string_view> split_outside_quotes(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  bool quoted = false;
  int angle = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      // RFC 3261 §25.1 quoted-pair: a backslash escapes the next character.
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (c == separator && angle == 0) {
      out.push_back(trim_spaces_and_tabs(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim_spaces_and_tabs(text.substr(std::min(start, text.size()))));
  return out;
}

std::string unquote(std::string_view text) {
  text = trim_spaces_and_tabs(text);
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

std::vector<Parameter> parse_parameters(std::string_view text) {
  std::vector<Parameter> out;
  for (const std::string_view piece : split_outside_quotes(text, ';')) {
    if (piece.empty()) continue;
    Parameter parameter;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      parameter.name = ascii_lowered(trim_spaces_and_tabs(piece));
    } else {
      parameter.name = ascii_lowered(trim_spaces_and_tabs(piece.substr(0, eq)));
      parameter.value = unquote(piece.substr(eq + 1));
      parameter.has_value = true;
    }
    out.push_back(std::move(parameter));
  }
  return out;
}

const Parameter* find_parameter(const std::vector<Parameter>& parameters, std::string_view name) noexcept {
  for (const Parameter& p : parameters)
    if (p.name == name) return &p;
  return nullptr;
}

bool MediaType::is(std::string_view type_slash_subtype) const noexcept {
  const std::size_t slash = type_slash_subtype.find('/');
  if (slash == std::string_view::npos) return false;
  return ascii_iequals(type, type_slash_subtype.substr(0, slash)) && ascii_iequals(subtype, type_slash_subtype.substr(slash + 1));
}

std::optional<std::string> MediaType::parameter(std::string_view name) const {
  if (const Parameter* p = find_parameter(parameters, name)) return p->value;
  return std::nullopt;
}

std::optional<MediaType> parse_media_type(std::string_view text) {
  // RFC 3261 §20.15 / RFC 2045 §5.1: m-type SLASH m-subtype *(SEMI m-parameter).
  // The type and subtype are tokens, so the first ';' ends them.
  const std::size_t first_semi = text.find(';');
  const std::string_view full = trim_spaces_and_tabs(text.substr(0, first_semi));
  const std::size_t slash = full.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view type = trim_spaces_and_tabs(full.substr(0, slash));
  const std::string_view subtype = trim_spaces_and_tabs(full.substr(slash + 1));
  if (!is_token(type) || !is_token(subtype)) return std::nullopt;
  MediaType out;
  out.type = ascii_lowered(type);
  out.subtype = ascii_lowered(subtype);
  if (first_semi != std::string_view::npos) out.parameters = parse_parameters(text.substr(first_semi + 1));
  return out;
}

bool is_token_char(char c) noexcept {
  // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~': return true;
    default: return false;
  }
}

bool is_token(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

std::string printable(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (const char c : text.substr(0, max_chars)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

}  // namespace tw::sip
