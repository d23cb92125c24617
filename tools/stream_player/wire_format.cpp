#include "wire_format.h"

#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tw::player {

std::uint8_t mulaw_encode(std::int16_t sample) {
  // G.711 µ-law works on 14-bit magnitudes with a bias of 33 (0x21); the
  // segment is the position of the highest set bit above bit 5.
  constexpr int kBias = 33;
  constexpr int kClip = 8158;  // 8158 + 33 = 8191, the top of segment 7
  int x = sample / 4;  // 16 -> 14 bit
  const bool negative = sample < 0;
  int magnitude = negative ? -x : x;
  if (negative && sample % 4 != 0) magnitude += 1;  // floor for negatives, like an arithmetic shift
  if (magnitude > kClip) magnitude = kClip;
  magnitude += kBias;
  int segment = 0;
  for (int limit = 64; segment < 7 && magnitude >= limit; limit <<= 1) ++segment;
  const int step = (magnitude >> (segment + 1)) & 0x0F;
  const int code = (negative ? 0x80 : 0x00) | (segment << 4) | step;
  return static_cast<std::uint8_t>(~code & 0xFF);
}

std::string base64(const std::uint8_t* data, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::size_t left = size - i;
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (left > 1 ? std::uint32_t{data[i + 1]} << 8 : 0u) |
                            (left > 2 ? std::uint32_t{data[i + 2]} : 0u);
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += left > 1 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += left > 2 ? kAlphabet[v & 0x3F] : '=';
  }
  return out;
}

namespace {

std::vector<std::uint8_t> unbase64(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else throw std::invalid_argument("client secret is not base64");
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::string random_uuid(std::mt19937_64& rng) {
  std::uint8_t b[16];
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 0x0F];
  }
  return s;
}

SignedHeaders audiohook_signed_headers(std::string_view target, std::string_view authority, std::string_view api_key,
                                       std::string_view client_secret_base64, std::string_view organization_id,
                                       std::string_view session_id, std::string_view correlation_id, std::int64_t now_unix_s,
                                       std::mt19937_64& rng) {
  SignedHeaders out;
  out.headers = {{"Audiohook-Organization-Id", std::string(organization_id)},
                 {"Audiohook-Session-Id", std::string(session_id)},
                 {"Audiohook-Correlation-Id", std::string(correlation_id)},
                 {"X-API-KEY", std::string(api_key)}};
  if (client_secret_base64.empty()) return out;
  std::uint8_t nonce_bytes[16];
  for (auto& x : nonce_bytes) x = static_cast<std::uint8_t>(rng());
  const std::string params = "(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" "
                             "\"audiohook-correlation-id\" \"x-api-key\");keyid=\"" + std::string(api_key) + "\";nonce=\"" +
                             base64(nonce_bytes, sizeof nonce_bytes) + "\";alg=\"hmac-sha256\";created=" +
                             std::to_string(now_unix_s) + ";expires=" + std::to_string(now_unix_s + 300);
  // The signature base: one "name": value line per component, then the parameters.
  const std::string base = "\"@request-target\": " + std::string(target) + "\n\"@authority\": " + std::string(authority) +
                           "\n\"audiohook-organization-id\": " + std::string(organization_id) +
                           "\n\"audiohook-session-id\": " + std::string(session_id) +
                           "\n\"audiohook-correlation-id\": " + std::string(correlation_id) +
                           "\n\"x-api-key\": " + std::string(api_key) + "\n\"@signature-params\": " + params;
  const auto key = unbase64(client_secret_base64);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base.data()),
       base.size(), mac, &mac_length);
  out.headers.emplace_back("Signature-Input", "sig1=" + params);
  out.headers.emplace_back("Signature", "sig1=:" + base64(mac, mac_length) + ":");
  return out;
}

}  // namespace tw::player
