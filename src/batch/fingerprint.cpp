#include "batch/fingerprint.h"

#include <cstdio>

namespace tw::batch {

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string fnv1a64_hex(std::string_view bytes) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(fnv1a64(bytes)));
  return text;
}

std::string short_hash(std::string_view bytes, std::size_t digits) {
  return fnv1a64_hex(bytes).substr(0, digits < 1 ? 1 : (digits > 16 ? 16 : digits));
}

}  // namespace tw::batch
