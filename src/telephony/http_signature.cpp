#include "telephony/http_signature.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "telephony/base64.h"
#include "text/ascii.h"

namespace tw::telephony {
namespace {

// ---- RFC 8941 structured fields: just what Signature-Input and Signature use ----

struct BareItem {
  enum class Kind { integer, string, token, bytes, boolean };
  Kind kind = Kind::boolean;
  std::string text;       // string/token/bytes (bytes: the base64 text)
  std::int64_t integer = 0;
};

struct Parameter {
  std::string key;
  BareItem value;
};

struct Member {
  std::string key;
  bool inner_list = false;
  std::vector<BareItem> items;         // inner list items (their own parameters are refused)
  BareItem item;                       // when not an inner list
  std::vector<Parameter> parameters;   // of the member's value
  std::string_view raw_value;          // the value's text as received (for "@signature-params")
};

class SfParser {
 public:
  explicit SfParser(std::string_view text) : s_(text) {}

  // RFC 8941 §4.2.2 (dictionary). Returns false on any syntax error.
  bool dictionary(std::vector<Member>& out) {
    skip_sp();
    if (i_ == s_.size()) return true;
    for (;;) {
      Member m;
      if (!key(m.key)) return false;
      if (at('=')) {
        ++i_;
        const std::size_t begin = i_;
        if (at('(')) {
          m.inner_list = true;
          if (!inner_list(m.items)) return false;
        } else if (!bare_item(m.item)) {
          return false;
        }
        if (!parameters(m.parameters)) return false;
        m.raw_value = s_.substr(begin, i_ - begin);
      } else {
        m.item.kind = BareItem::Kind::boolean;
        m.item.integer = 1;
        if (!parameters(m.parameters)) return false;
      }
      out.push_back(std::move(m));
      skip_ows();
      if (i_ == s_.size()) return true;
      if (!at(',')) return false;
      ++i_;
      skip_ows();
      if (i_ == s_.size()) return false;  // trailing comma
    }
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;

  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void skip_sp() {
    while (at(' ')) ++i_;
  }
  void skip_ows() {
    while (at(' ') || at('\t')) ++i_;
  }
  static bool lcalpha(char c) { return c >= 'a' && c <= 'z'; }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool key(std::string& out) {
    if (!(i_ < s_.size() && (lcalpha(s_[i_]) || s_[i_] == '*'))) return false;
    const std::size_t begin = i_;
    while (i_ < s_.size() && (lcalpha(s_[i_]) || digit(s_[i_]) || s_[i_] == '_' || s_[i_] == '-' || s_[i_] == '.' || s_[i_] == '*'))
      ++i_;
    out.assign(s_.substr(begin, i_ - begin));
    return true;
  }

  bool parameters(std::vector<Parameter>& out) {
    while (at(';')) {
      ++i_;
      skip_sp();
      Parameter p;
      if (!key(p.key)) return false;
      if (at('=')) {
        ++i_;
        if (!bare_item(p.value)) return false;
      } else {
        p.value.kind = BareItem::Kind::boolean;
        p.value.integer = 1;
      }
      out.push_back(std::move(p));
    }
    return true;
  }

  bool inner_list(std::vector<BareItem>& out) {
    ++i_;  // '('
    for (;;) {
      skip_sp();
      if (at(')')) {
        ++i_;
        return true;
      }
      BareItem item;
      if (!bare_item(item)) return false;
      if (at(';')) return false;  // component parameters (;sf, ;key, ;req ...) are not supported
      out.push_back(std::move(item));
      if (!at(' ') && !at(')')) return false;
    }
  }

  bool bare_item(BareItem& out) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {  // §4.2.5 string: printable ASCII, escapes \" and \\ only
      out.kind = BareItem::Kind::string;
      ++i_;
      while (i_ < s_.size()) {
        const char d = s_[i_++];
        if (d == '"') return true;
        if (d == '\\') {
          if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\\')) return false;
          out.text += s_[i_++];
        } else if (d < 0x20 || d > 0x7E) {
          return false;
        } else {
          out.text += d;
        }
      }
      return false;
    }
    if (c == ':') {  // §4.2.7 byte sequence
      out.kind = BareItem::Kind::bytes;
      const std::size_t end = s_.find(':', i_ + 1);
      if (end == std::string_view::npos) return false;
      out.text.assign(s_.substr(i_ + 1, end - i_ - 1));
      i_ = end + 1;
      return true;
    }
    if (c == '-' || digit(c)) {  // §4.2.4 integer (decimals are not used here)
      const std::size_t begin = i_;
      if (c == '-') ++i_;
      const std::size_t digits_begin = i_;
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
      const std::size_t digits = i_ - digits_begin;
      if (digits == 0 || digits > 15 || at('.')) return false;
      out.kind = BareItem::Kind::integer;
      out.integer = std::stoll(std::string(s_.substr(begin, i_ - begin)));
      return true;
    }
    if (c == '?') {  // §4.2.8 boolean
      if (i_ + 1 >= s_.size() || (s_[i_ + 1] != '0' && s_[i_ + 1] != '1')) return false;
      out.kind = BareItem::Kind::boolean;
      out.integer = s_[i_ + 1] == '1';
      i_ += 2;
      return true;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '*') {  // §4.2.6 token
      out.kind = BareItem::Kind::token;
      const std::size_t begin = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                std::string_view("!#$%&'*+-.^_`|~:/").find(s_[i_]) != std::string_view::npos))
        ++i_;
      out.text.assign(s_.substr(begin, i_ - begin));
      return true;
    }
    return false;
  }
};

// ---- The signatures of a request ----

struct Signature {
  std::string label;
  std::vector<std::string> components;
  std::string_view params_raw;
  std::optional<std::int64_t> created, expires;
  std::string keyid, nonce, alg;
  std::string signature_base64;
};

// All fields of one name, trimmed and joined with ", " (draft §2.1); nullopt if absent.
std::optional<std::string> header_value(const HttpHeaders& headers, std::string_view name) {
  std::optional<std::string> value;
  for (const auto& h : headers) {
    if (!text::ascii_iequals(h.name, name)) continue;
    if (value) {
      *value += ", ";
      *value += text::trim_spaces_and_tabs(h.value);
    } else {
      value = std::string(text::trim_spaces_and_tabs(h.value));
    }
  }
  return value;
}

// Parses Signature-Input and Signature; the string_views point into `input_text`.
bool parse_signatures(const std::string& input_text, const std::string& signature_text, std::vector<Signature>& out,
                      std::string& reason) {
  std::vector<Member> inputs, signatures;
  if (!SfParser(input_text).dictionary(inputs)) {
    reason = "Signature-Input is not a structured-field dictionary";
    return false;
  }
  if (!SfParser(signature_text).dictionary(signatures)) {
    reason = "Signature is not a structured-field dictionary";
    return false;
  }
  for (const Member& input : inputs) {
    if (!input.inner_list) {
      reason = "Signature-Input member is not an inner list";
      return false;
    }
    Signature s;
    s.label = input.key;
    s.params_raw = input.raw_value;
    for (const BareItem& item : input.items) {
      if (item.kind != BareItem::Kind::string) {
        reason = "covered component is not a string";
        return false;
      }
      s.components.push_back(item.text);
    }
    for (const Parameter& p : input.parameters) {
      if (p.key == "created" && p.value.kind == BareItem::Kind::integer) s.created = p.value.integer;
      else if (p.key == "expires" && p.value.kind == BareItem::Kind::integer) s.expires = p.value.integer;
      else if (p.key == "keyid" && p.value.kind == BareItem::Kind::string) s.keyid = p.value.text;
      else if (p.key == "nonce" && p.value.kind == BareItem::Kind::string) s.nonce = p.value.text;
      else if (p.key == "alg" && p.value.kind == BareItem::Kind::string) s.alg = p.value.text;
    }
    const auto match = std::find_if(signatures.begin(), signatures.end(), [&](const Member& m) { return m.key == input.key; });
    if (match == signatures.end() || match->inner_list || match->item.kind != BareItem::Kind::bytes) {
      reason = "no Signature member for label " + input.key;
      return false;
    }
    s.signature_base64 = match->item.text;
    out.push_back(std::move(s));
  }
  if (out.empty()) {
    reason = "Signature-Input names no signature";
    return false;
  }
  return true;
}

// Draft §2.5: one line per covered component, then "@signature-params".
std::optional<std::string> signature_base(const Signature& s, const HttpRequestInfo& request, const HttpHeaders& headers,
                                          std::string& reason) {
  std::string base;
  for (const std::string& component : s.components) {
    std::optional<std::string> value;
    if (component == "@method") {
      value = std::string(request.method);
    } else if (component == "@authority") {
      value = text::ascii_lowered(request.authority);
    } else if (component == "@request-target") {
      value = std::string(request.target);
    } else if (component == "@path") {
      value = std::string(request.target.substr(0, request.target.find('?')));
      if (value->empty()) value = "/";
    } else if (component == "@query") {
      const std::size_t q = request.target.find('?');
      value = q == std::string_view::npos ? std::string("?") : std::string(request.target.substr(q));
    } else if (!component.empty() && component[0] == '@') {
      reason = "unsupported derived component " + component;
      return std::nullopt;
    } else {
      if (std::any_of(component.begin(), component.end(), [](unsigned char c) { return std::isupper(c) != 0; })) {
        reason = "component names must be lower case: " + component;
        return std::nullopt;
      }
      value = header_value(headers, component);
    }
    if (!value) {
      reason = "covered component " + component + " is missing from the request";
      return std::nullopt;
    }
    base += '"';
    base += component;
    base += "\": ";
    base += *value;
    base += '\n';
  }
  base += "\"@signature-params\": ";
  base += s.params_raw;
  return base;
}

bool hmac_sha256_matches(std::string_view key, std::string_view data, std::string_view signature_base64) {
  std::array<std::uint8_t, 64> expected{};
  const auto length = base64_decode(signature_base64, expected);
  if (!length || *length != 32) return false;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac.data(), &mac_length) == nullptr ||
      mac_length != 32)
    return false;
  return CRYPTO_memcmp(mac.data(), expected.data(), 32) == 0;
}

bool check_signature(const Signature& s, const HttpRequestInfo& request, const HttpHeaders& headers, std::string_view key,
                     std::string& reason) {
  if (!s.alg.empty() && s.alg != "hmac-sha256") {
    reason = "signature algorithm " + s.alg + " is not hmac-sha256";
    return false;
  }
  const auto base = signature_base(s, request, headers, reason);
  if (!base) return false;
  if (!hmac_sha256_matches(key, *base, s.signature_base64)) {
    reason = "signature " + s.label + " does not verify";
    return false;
  }
  return true;
}

bool read_signatures(const HttpHeaders& headers, std::vector<Signature>& out, std::string& input_text, std::string& reason) {
  const auto input = header_value(headers, "signature-input");
  const auto signature = header_value(headers, "signature");
  if (!input || !signature) {
    reason = "missing Signature-Input or Signature header";
    return false;
  }
  input_text = *input;  // the signatures' params_raw views point into it
  return parse_signatures(input_text, *signature, out, reason);
}

}  // namespace

SignatureVerdict verify_hmac_signature(const HttpRequestInfo& request, const HttpHeaders& headers, std::string_view key) {
  SignatureVerdict verdict;
  std::vector<Signature> signatures;
  std::string input_text;
  try {
    if (!read_signatures(headers, signatures, input_text, verdict.reason)) return verdict;
    for (const Signature& s : signatures) {
      if (check_signature(s, request, headers, key, verdict.reason)) {
        verdict = {true, "", s.keyid, s.nonce};
        return verdict;
      }
    }
  } catch (const std::exception& e) {
    verdict.reason = std::string("signature headers could not be read: ") + e.what();
  }
  return verdict;
}

SignatureVerdict verify_audiohook_request(const HttpRequestInfo& request, const HttpHeaders& headers,
                                          const AudioHookAuthConfig& config, std::int64_t now_unix_s) {
  SignatureVerdict verdict;
  try {
    const auto api_key = header_value(headers, "x-api-key");
    if (!api_key || api_key->empty()) {
      verdict.reason = "missing X-API-KEY header";
      return verdict;
    }
    const AudioHookCredential* credential = nullptr;
    for (const auto& c : config.credentials) {
      // Constant time over equal lengths: no early exit that leaks a prefix.
      if (c.api_key.size() == api_key->size() && CRYPTO_memcmp(c.api_key.data(), api_key->data(), api_key->size()) == 0)
        credential = &c;
    }
    if (credential == nullptr) {
      verdict.reason = "X-API-KEY is not a configured key";
      return verdict;
    }
    verdict.key_id = *api_key;
    if (credential->client_secret.empty()) {
      verdict.ok = true;  // this integration is configured without a client secret
      return verdict;
    }
    std::vector<Signature> signatures;
    std::string input_text;
    if (!read_signatures(headers, signatures, input_text, verdict.reason)) return verdict;
    const auto s = std::find_if(signatures.begin(), signatures.end(), [&](const Signature& sig) { return sig.keyid == *api_key; });
    if (s == signatures.end()) {
      verdict.reason = "no signature has keyid = X-API-KEY";
      return verdict;
    }
    verdict.nonce = s->nonce;
    if (s->alg != "hmac-sha256") {
      verdict.reason = "signature alg must be hmac-sha256";
      return verdict;
    }
    for (const char* required : {"@request-target", "@authority", "audiohook-organization-id", "audiohook-session-id",
                                 "audiohook-correlation-id", "x-api-key"}) {
      if (std::find(s->components.begin(), s->components.end(), required) == s->components.end()) {
        verdict.reason = std::string("signature does not cover ") + required;
        return verdict;
      }
    }
    if (!s->created) {
      verdict.reason = "signature has no created time";
      return verdict;
    }
    if (*s->created > now_unix_s + config.max_clock_skew_s) {
      verdict.reason = "signature created in the future";
      return verdict;
    }
    const std::int64_t expires = s->expires ? *s->expires : *s->created + config.max_signature_age_s;
    if (expires < now_unix_s - config.max_clock_skew_s) {
      verdict.reason = "signature expired";
      return verdict;
    }
    // However far `expires` lies: a handshake's signature is made for that handshake,
    // and the replay window (the nonces a server must remember, RFC 9421 §7.2.2) is
    // max_signature_age_s, not years (the documentation's example expires in 2074).
    if (*s->created < now_unix_s - config.max_signature_age_s - config.max_clock_skew_s) {
      verdict.reason = "signature created too long ago";
      return verdict;
    }
    verdict.valid_until_unix_s =
        std::min(expires, *s->created + config.max_signature_age_s) + config.max_clock_skew_s;
    std::array<std::uint8_t, 512> key{};
    const auto key_length = base64_decode(credential->client_secret, key);
    if (!key_length || *key_length == 0) {
      verdict.reason = "configured client secret is not base64";
      return verdict;
    }
    if (!check_signature(*s, request, headers,
                         std::string_view(reinterpret_cast<const char*>(key.data()), *key_length), verdict.reason))
      return verdict;
    verdict.ok = true;
    verdict.reason.clear();
  } catch (const std::exception& e) {
    verdict.ok = false;
    verdict.reason = std::string("signature headers could not be read: ") + e.what();
  }
  return verdict;
}

}  // namespace tw::telephony
