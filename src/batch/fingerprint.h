#pragma once
// Short, stable hashes for names and for telling one configuration from another.

#include <cstdint>
#include <string>
#include <string_view>

namespace tw::batch {

/// 64-bit FNV-1a (Fowler, Noll, Vo; offset basis 14695981039346656037, prime
/// 1099511628211). Not cryptographic: it tells files and settings apart, it
/// does not defend against someone crafting collisions.
std::uint64_t fnv1a64(std::string_view bytes) noexcept;

/// fnv1a64 as 16 lowercase hex digits.
std::string fnv1a64_hex(std::string_view bytes);

/// The first `digits` (1..16) hex digits of fnv1a64_hex.
std::string short_hash(std::string_view bytes, std::size_t digits = 8);

}  // namespace tw::batch
