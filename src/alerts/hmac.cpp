#include "alerts/hmac.h"

#include <charconv>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tw::alerts {
namespace {

constexpr std::string_view kScheme = "sha256=";

std::string to_hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * static_cast<std::size_t>(length), '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[bytes[i] >> 4];
    hex[2 * i + 1] = kHex[bytes[i] & 0x0f];
  }
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  return to_hex(digest, length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // The one-shot HMAC() stays supported in OpenSSL 3 (only the HMAC_CTX API is deprecated).
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), digest, &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  }
  return to_hex(digest, length);
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_payload;
  signed_payload.reserve(timestamp.size() + 1 + body.size());
  signed_payload.append(timestamp).append(".").append(body);
  return std::string(kScheme) + hmac_sha256_hex(secret, signed_payload);
}

bool verify_webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body,
                              std::string_view header) {
  const std::string expected = webhook_signature(secret, timestamp, body);
  // Lengths are public (scheme + 64 hex digits); only the digits are compared in constant time.
  if (header.size() != expected.size()) return false;
  return CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

bool webhook_timestamp_fresh(std::string_view timestamp, std::int64_t now_unix_s, std::int64_t tolerance_s) {
  std::int64_t t = 0;
  const char* end = timestamp.data() + timestamp.size();
  const auto [ptr, ec] = std::from_chars(timestamp.data(), end, t);
  if (ec != std::errc() || ptr != end || timestamp.empty() || timestamp.front() == '-') return false;
  const std::int64_t age = now_unix_s >= t ? now_unix_s - t : t - now_unix_s;
  return age <= tolerance_s;
}

}  // namespace tw::alerts
