#pragma once
// The nonces of signed requests already accepted, kept as long as their
// signatures could be accepted again. RFC 9421 (HTTP Message Signatures) §7.2.2
// leaves replay protection to the verifier, and Genesys AudioHook signs a fresh
// nonce into every upgrade request for it: the same signed headers sent twice
// inside the signature's window are a replay, and the second is refused.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace tw::server {

class NonceCache {
 public:
  /// At most `max_entries` nonces are kept; when that many are still valid, new
  /// signed requests are refused (fail closed) until some expire.
  explicit NonceCache(std::size_t max_entries) : max_entries_(max_entries) {}
  NonceCache() : NonceCache(100000) {}

  enum class Outcome { first_use, replay, full };

  /// Remembers (key_id, nonce) until `valid_until_unix_s` and answers first_use,
  /// or replay if it is remembered already. Expired nonces are forgotten first.
  /// Thread-safe; one lock per upgrade request, never per message.
  Outcome check(const std::string& key_id, const std::string& nonce, std::int64_t now_unix_s,
                std::int64_t valid_until_unix_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!by_expiry_.empty() && by_expiry_.begin()->first < now_unix_s) {
      seen_.erase(by_expiry_.begin()->second);
      by_expiry_.erase(by_expiry_.begin());
    }
    std::pair<std::string, std::string> id{key_id, nonce};
    if (seen_.count(id) != 0) return Outcome::replay;
    if (seen_.size() >= max_entries_) return Outcome::full;
    seen_.insert(id);
    by_expiry_.emplace(valid_until_unix_s, std::move(id));
    return Outcome::first_use;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_.size();
  }

 private:
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> seen_;
  std::multimap<std::int64_t, std::pair<std::string, std::string>> by_expiry_;
};

}  // namespace tw::server
