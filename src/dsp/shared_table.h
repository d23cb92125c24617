#pragma once
// A constant table (a window, band weights, a lag table) that every stream built
// with the same values shares: one copy in the process instead of one per stream.
//
// Why: a server carrying a thousand calls analyses each call's hops 20 ms apart,
// so a call's state is cold again by its next packet. Tables that depend only on
// the configuration (about 13 KiB per speaker) were a second copy per call of the
// same numbers, fetched from memory on every hop; shared, they stay in cache, and
// the call's memory holds only what is its own.
//
// Interning is by exact value (the bytes): a table computed with another
// configuration is simply another table. Tables are made while building a stream,
// never on the audio path; the registry's lock is taken only there. A table lives
// while any stream holds it.

#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace tw::dsp {

template <class T>
class SharedTable {
  static_assert(std::is_trivially_copyable_v<T>, "SharedTable interns by bytes");

 public:
  SharedTable() = default;
  /// The shared table holding exactly `values` (made now if no stream holds one).
  explicit SharedTable(std::vector<T> values) : values_(intern(std::move(values))) {}

  std::size_t size() const noexcept { return values_ ? values_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const T* data() const noexcept { return values_ ? values_->data() : nullptr; }
  const T& operator[](std::size_t i) const noexcept { return (*values_)[i]; }
  std::span<const T> span() const noexcept { return {data(), size()}; }
  operator std::span<const T>() const noexcept { return span(); }  // NOLINT: reads like the vector it replaces
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size(); }

  /// Whether two tables are the one shared copy (for tests).
  bool shares_with(const SharedTable& other) const noexcept { return values_ == other.values_; }

 private:
  using Values = std::vector<T>;

  static std::shared_ptr<const Values> intern(Values values) {
    struct Registry {
      std::mutex mutex;
      std::unordered_multimap<std::size_t, std::weak_ptr<const Values>> tables;
      std::size_t sweep_at = 64;  // forget expired tables of every key when there are this many entries
    };
    static Registry registry;  // never destroyed before a table: tables hold no pointer to it
    const std::string_view bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    const std::size_t key = std::hash<std::string_view>{}(bytes);
    std::lock_guard<std::mutex> lock(registry.mutex);
    auto [first, last] = registry.tables.equal_range(key);
    for (auto it = first; it != last;) {
      std::shared_ptr<const Values> held = it->second.lock();
      if (!held) {
        it = registry.tables.erase(it);  // its streams are gone
        continue;
      }
      if (held->size() == values.size() && std::memcmp(held->data(), values.data(), bytes.size()) == 0) return held;
      ++it;
    }
    if (registry.tables.size() >= registry.sweep_at) {
      std::erase_if(registry.tables, [](const auto& entry) { return entry.second.expired(); });
      registry.sweep_at = 2 * registry.tables.size() + 64;
    }
    // Not make_shared: an expired entry's control block would keep the table's memory.
    std::shared_ptr<const Values> made(new Values(std::move(values)));
    registry.tables.emplace(key, made);
    return made;
  }

  std::shared_ptr<const Values> values_;
};

}  // namespace tw::dsp
