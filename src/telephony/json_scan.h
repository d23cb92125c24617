#pragma once
// A validating, allocation-free JSON scanner (RFC 8259) for the hot path: it
// walks one JSON object and hands the visitor the members of the top-level
// object and of the objects nested directly in it, as views into the text.
// Used for Twilio `media` messages, which arrive 50 times a second per track;
// rare messages go through nlohmann::json instead.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tw::telephony {

/// A member value found by scan_json_object.
struct JsonValue {
  enum class Kind { string, number, literal, object, array };
  Kind kind = Kind::literal;
  std::string_view raw;  ///< string: the characters between the quotes, escapes undecoded; otherwise the whole token
  bool escaped = false;  ///< a string holding backslash escapes (raw is then not its value)
};

namespace json_scan_detail {

class Scanner {
 public:
  Scanner(std::string_view text, int max_depth) noexcept : s_(text), max_depth_(max_depth) {}

  template <class Visitor>
  bool top(Visitor& visit) noexcept {
    skip_ws();
    if (!object(visit, std::string_view{}, 1, true)) return false;
    skip_ws();
    return i_ == s_.size();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  int max_depth_;

  bool at(char c) const noexcept { return i_ < s_.size() && s_[i_] == c; }
  void skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

  /// Skips the bytes of a string that are no '"', no '\\' and no control character,
  /// up to the first that is one (or up to the last whole block): sixteen at a time
  /// with SSE2 (every x86-64 has it), else eight at a time in a 64-bit word (the "has
  /// a zero byte" and "has a byte below n" word tricks: exact as a yes/no, for n <=
  /// 128). The base64 payload, a few hundred characters, is most of every Twilio media
  /// message. The byte loop decides where this stops. (At 400 calls the scan was 5.8 %
  /// of the network thread a byte at a time and 5.1 % a word at a time; at 750 calls
  /// 5.5 % a word at a time.)
  void skip_plain_string_words() noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i below_space = _mm_set1_epi8(0x1F);
    while (s_.size() - i_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i_));
      // max(v, 0x1F) == 0x1F exactly where v <= 0x1F, unsigned.
      const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                           _mm_cmpeq_epi8(_mm_max_epu8(v, below_space), below_space));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) {
        i_ += static_cast<std::size_t>(__builtin_ctz(mask));
        return;
      }
      i_ += 16;
    }
#endif
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    const auto has_zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    while (s_.size() - i_ >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s_.data() + i_, 8);
      const std::uint64_t special = has_zero_byte(w ^ (kOnes * '"')) | has_zero_byte(w ^ (kOnes * '\\')) |
                                    ((w - kOnes * 0x20) & ~w & kHighs);  // a byte below 0x20
      if (special != 0) return;
      i_ += 8;
    }
  }

  bool string(JsonValue& out) noexcept {
    if (!at('"')) return false;
    const std::size_t begin = ++i_;
    bool escaped = false;
    while (i_ < s_.size()) {
      skip_plain_string_words();
      if (i_ >= s_.size()) break;
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        out = {JsonValue::Kind::string, s_.substr(begin, i_ - begin), escaped};
        ++i_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c == '\\') {
        escaped = true;
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || !is_hex(s_[i_])) return false;
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          return false;
        }
      }
      ++i_;
    }
    return false;
  }

  bool number(JsonValue& out) noexcept {
    const std::size_t begin = i_;
    if (at('-')) ++i_;
    if (at('0')) {
      ++i_;
    } else if (i_ < s_.size() && is_digit(s_[i_])) {
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    } else {
      return false;
    }
    if (at('.')) {
      ++i_;
      if (!(i_ < s_.size() && is_digit(s_[i_]))) return false;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (at('e') || at('E')) {
      ++i_;
      if (at('+') || at('-')) ++i_;
      if (!(i_ < s_.size() && is_digit(s_[i_]))) return false;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    out = {JsonValue::Kind::number, s_.substr(begin, i_ - begin), false};
    return true;
  }

  bool literal(JsonValue& out) noexcept {
    for (std::string_view word : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
      if (s_.substr(i_, word.size()) == word) {
        out = {JsonValue::Kind::literal, s_.substr(i_, word.size()), false};
        i_ += word.size();
        return true;
      }
    }
    return false;
  }

  // Any value; members of objects at depth <= 2 are reported when `report` is set.
  template <class Visitor>
  bool value(Visitor& visit, JsonValue& out, std::string_view key, int depth, bool report) noexcept {
    skip_ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    const std::size_t begin = i_;
    if (c == '{') {
      if (!object(visit, key, depth + 1, report && depth < 2)) return false;
      out = {JsonValue::Kind::object, s_.substr(begin, i_ - begin), false};
      return true;
    }
    if (c == '[') {
      if (!array(visit, depth + 1)) return false;
      out = {JsonValue::Kind::array, s_.substr(begin, i_ - begin), false};
      return true;
    }
    if (c == '"') return string(out);
    if (c == '-' || is_digit(c)) return number(out);
    return literal(out);
  }

  template <class Visitor>
  bool array(Visitor& visit, int depth) noexcept {
    if (depth > max_depth_) return false;
    ++i_;  // '['
    skip_ws();
    if (at(']')) {
      ++i_;
      return true;
    }
    for (;;) {
      JsonValue element;
      if (!value(visit, element, std::string_view{}, depth, false)) return false;
      skip_ws();
      if (at(',')) {
        ++i_;
        continue;
      }
      if (at(']')) {
        ++i_;
        return true;
      }
      return false;
    }
  }

  // parent: the key this object is the value of (empty at the top).
  template <class Visitor>
  bool object(Visitor& visit, std::string_view parent, int depth, bool report) noexcept {
    if (depth > max_depth_ || !at('{')) return false;
    ++i_;
    skip_ws();
    if (at('}')) {
      ++i_;
      return true;
    }
    for (;;) {
      skip_ws();
      JsonValue key;
      if (!string(key)) return false;
      skip_ws();
      if (!at(':')) return false;
      ++i_;
      JsonValue member;
      if (!value(visit, member, key.escaped ? std::string_view{} : key.raw, depth, report)) return false;
      if (report) visit(parent, key.escaped ? std::string_view{} : key.raw, member);
      skip_ws();
      if (at(',')) {
        ++i_;
        continue;
      }
      if (at('}')) {
        ++i_;
        return true;
      }
      return false;
    }
  }
};

}  // namespace json_scan_detail

/// Validates that `text` is exactly one JSON object (RFC 8259 grammar; UTF-8 is
/// not checked) nested no deeper than `max_depth`, and calls
/// visit(std::string_view parent_key, std::string_view key, const JsonValue& value)
/// for each member of the top-level object (parent_key empty) and of each object
/// that is a member of it (parent_key = that member's key). A key with escapes is
/// passed as an empty view. Returns false on any syntax error; the visitor may
/// have been called for members before the error. No allocation; never throws
/// (as long as the visitor does not).
template <class Visitor>
bool scan_json_object(std::string_view text, Visitor&& visit, int max_depth = 32) noexcept {
  json_scan_detail::Scanner scanner(text, max_depth);
  return scanner.top(visit);
}

}  // namespace tw::telephony
