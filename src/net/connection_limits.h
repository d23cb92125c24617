#pragma once
// How many connections a listener (or a WebSocket route) holds, in all and per
// remote address. A connection takes a slot when it is accepted and gives it
// back when its last object goes; past a limit it is refused at once, before it
// costs a session, a buffer or a timer. Internal to the net layer; taken on the
// accept path only (a lock per connection, never per message).

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tw::net::detail {

class ConnectionLimits {
 public:
  enum class Refusal { none, total, per_address };

  /// 0 means no limit.
  ConnectionLimits(std::size_t max_total, std::size_t max_per_address) noexcept
      : max_total_(max_total), max_per_address_(max_per_address) {}
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  /// A slot for one connection from `address` (an IP address, no port): held as
  /// long as the returned pointer (and its copies) live. Null when a limit is
  /// reached, with `why` saying which. The limits object must outlive its slots.
  std::shared_ptr<void> acquire(const std::string& address, Refusal& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    why = Refusal::none;
    if (max_total_ > 0 && total_ >= max_total_) {
      why = Refusal::total;
      return nullptr;
    }
    std::size_t& mine = per_address_[address];
    if (max_per_address_ > 0 && mine >= max_per_address_) {
      why = Refusal::per_address;
      return nullptr;
    }
    ++mine;
    ++total_;
    // The deleter gives the slot back; the pointer itself points at nothing of use.
    return std::shared_ptr<void>(static_cast<void*>(this), [this, address](void*) { release(address); });
  }

  std::size_t open() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return total_;
  }
  std::size_t max_total() const noexcept { return max_total_; }
  std::size_t max_per_address() const noexcept { return max_per_address_; }

 private:
  void release(const std::string& address) {
    std::lock_guard<std::mutex> lock(mutex_);
    --total_;
    if (const auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }

  const std::size_t max_total_, max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> per_address_;  // only addresses with a connection open
};

}  // namespace tw::net::detail
