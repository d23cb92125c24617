#pragma once
// A bounded lock-free multi-producer queue: Dmitry Vyukov's bounded MPMC queue
// (1024cores.net, "Bounded MPMC queue"), one sequence number per slot. Producers
// never wait: a full queue refuses the item and the caller counts it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

namespace tw::alerts {

template <class T>
class BoundedQueue {
 public:
  /// Room for `capacity` items, rounded up to a power of two. Allocates every slot. Throws on 0.
  explicit BoundedQueue(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("BoundedQueue: capacity must be > 0");
    std::size_t size = 1;
    while (size < capacity) size <<= 1;
    mask_ = size - 1;
    slots_ = std::make_unique<Slot[]>(size);
    for (std::size_t i = 0; i < size; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  /// Any thread: moves `item` in, or returns false (item untouched) when full. Lock-free.
  bool try_push(T& item) noexcept(std::is_nothrow_move_assignable_v<T>) {
    std::size_t pos = enqueue_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos & mask_];
      const std::size_t seq = slot.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
      if (diff == 0) {
        if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          slot.value = std::move(item);
          slot.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = enqueue_.load(std::memory_order_relaxed);
      }
    }
  }

  /// Any thread: moves the oldest item out, or returns false when empty. Lock-free.
  bool try_pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    std::size_t pos = dequeue_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos & mask_];
      const std::size_t seq = slot.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos + 1);
      if (diff == 0) {
        if (dequeue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = std::move(slot.value);
          slot.sequence.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = dequeue_.load(std::memory_order_relaxed);
      }
    }
  }

 private:
  struct Slot {
    std::atomic<std::size_t> sequence{0};
    T value{};
  };
  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> enqueue_{0};
  alignas(64) std::atomic<std::size_t> dequeue_{0};
};

}  // namespace tw::alerts
