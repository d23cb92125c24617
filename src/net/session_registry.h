#pragma once
// Open connections, so that stop() can close them all. Internal to the net layer.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace tw::net::detail {

/// A connection that can be told to go away (posted to its event loop).
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void go_away() = 0;
  /// Ends the connection now, without a closing handshake (a peer that did not
  /// answer go_away in time): its handler still gets on_closed.
  virtual void abort() { go_away(); }
};

class SessionRegistry {
 public:
  std::uint64_t add(std::weak_ptr<Closable> session) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_[next_] = std::move(session);
    return next_++;
  }
  void remove(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
  }
  std::vector<std::shared_ptr<Closable>> snapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<Closable>> out;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
  }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
  std::uint64_t next_ = 1;
};

}  // namespace tw::net::detail
