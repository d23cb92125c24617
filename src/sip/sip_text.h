#pragma once
// Small text helpers shared by the multipart body and metadata parsers: parameters
// split outside quotes, quoted strings, and media types with parameters (a body
// part's Content-Type, which libre does not parse for us).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/ascii.h"

namespace tw::sip {

// Case folding and trimming are text/ascii.h's (SIP's names and tokens are ASCII).
using text::ascii_iequals;
using text::ascii_lower;
using text::ascii_lowered;
using text::trim_spaces_and_tabs;

/// `text` split at `separator` outside double quotes and angle brackets, pieces trimmed, empty kept.
std::vector<std::string_view> split_outside_quotes(std::string_view text, char separator);

/// The text of a quoted-string (RFC 3261 §25.1) without its quotes and with its
/// backslash escapes resolved; a token is returned as it is.
std::string unquote(std::string_view text);

/// One `name[=value]` parameter as found after a ';' (RFC 3261 §7.3.1 generic-param).
/// The name is lower-cased (parameter names are case-insensitive), the value kept
/// as written with quotes removed; a parameter without '=' has an empty value and `has_value` false.
struct Parameter {
  std::string name;
  std::string value;
  bool has_value = false;
};

/// The parameters of `text` ("a=1;b;c=\"x;y\""), split at ';' outside quotes.
std::vector<Parameter> parse_parameters(std::string_view text);

/// The parameter named `name` (lower case), or nullptr.
const Parameter* find_parameter(const std::vector<Parameter>& parameters, std::string_view name) noexcept;

/// A media type with its parameters, as in Content-Type (RFC 3261 §20.15, RFC 2045 §5.1):
/// `type/subtype *(;parameter)`. Type and subtype are lower-cased.
struct MediaType {
  std::string type;
  std::string subtype;
  std::vector<Parameter> parameters;
  /// True when the type and subtype equal `type_slash_subtype` ("multipart/mixed"), ignoring case.
  bool is(std::string_view type_slash_subtype) const noexcept;
  /// The value of parameter `name` (lower case), or nullopt.
  std::optional<std::string> parameter(std::string_view name) const;
};

/// The media type in a Content-Type value; nullopt when it lacks a type or subtype token.
std::optional<MediaType> parse_media_type(std::string_view text);

/// True when `c` is an RFC 3261 §25.1 token character.
bool is_token_char(char c) noexcept;

/// True when `text` is a non-empty RFC 3261 token.
bool is_token(std::string_view text) noexcept;

/// `text` with every control character (CR, LF, NUL ...) replaced by a space, so that a
/// reason built from peer bytes can be written into a header line without splitting it.
std::string printable(std::string_view text, std::size_t max_chars = 200);

}  // namespace tw::sip
