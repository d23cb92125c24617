#include "assets/embedded_assets.h"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace tw::assets {

std::string_view find(std::string_view name) noexcept {
  for (std::size_t i = 0; i < detail::kFileCount; ++i) {
    const detail::EmbeddedFile& f = detail::kFiles[i];
    if (name == f.name) return {reinterpret_cast<const char*>(f.data), f.size};
  }
  return {};
}

std::string_view get(std::string_view name) {
  for (std::size_t i = 0; i < detail::kFileCount; ++i) {
    if (name == detail::kFiles[i].name) return find(name);
  }
  throw std::logic_error("asset '" + std::string(name) + "' was not embedded (see src/assets/CMakeLists.txt)");
}

std::vector<std::string_view> names() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < detail::kFileCount; ++i) out.emplace_back(detail::kFiles[i].name);
  return out;
}

const std::string& version() {
  static const std::string digest = [] {
    // FNV-1a, 64 bit (Fowler, Noll, Vo): a cache validator, not a security hash.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](unsigned char byte) {
      h ^= byte;
      h *= 0x100000001b3ULL;
    };
    for (std::size_t i = 0; i < detail::kFileCount; ++i) {
      const detail::EmbeddedFile& f = detail::kFiles[i];
      for (const char* c = f.name; *c != '\0'; ++c) mix(static_cast<unsigned char>(*c));
      mix(0);
      for (std::size_t k = 0; k < f.size; ++k) mix(f.data[k]);
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return std::string(text);
  }();
  return digest;
}

}  // namespace tw::assets
