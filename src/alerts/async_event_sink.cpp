#include "alerts/async_event_sink.h"

#include <pthread.h>

namespace tw::alerts {

AsyncEventSink::AsyncEventSink(EventSink& downstream, std::size_t capacity)
    : downstream_(downstream), queue_(capacity), thread_([this] {
        pthread_setname_np(pthread_self(), "tw-events");  // named for top -H and perf
        deliver_loop();
      }) {}

AsyncEventSink::~AsyncEventSink() {
  stopping_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_one();
  thread_.join();
}

void AsyncEventSink::on_event(const Event& event) noexcept {
  try {
    Event copy = event;
    if (!queue_.try_push(copy)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  } catch (...) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  accepted_.fetch_add(1, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_one();
}

std::uint64_t AsyncEventSink::queued() const noexcept {
  const std::uint64_t delivered = delivered_.load(std::memory_order_acquire);
  const std::uint64_t accepted = accepted_.load(std::memory_order_acquire);
  return accepted > delivered ? accepted - delivered : 0;
}

void AsyncEventSink::flush() {
  const std::uint64_t target = accepted_.load(std::memory_order_acquire);
  for (std::uint64_t done = delivered_.load(std::memory_order_acquire); done < target;
       done = delivered_.load(std::memory_order_acquire)) {
    delivered_.wait(done, std::memory_order_acquire);
  }
}

void AsyncEventSink::deliver(Event& event) noexcept {
  try {
    downstream_.on_event(event);
  } catch (...) {
    delivery_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  delivered_.fetch_add(1, std::memory_order_release);
  delivered_.notify_all();
}

void AsyncEventSink::deliver_loop() {
  Event event;
  for (;;) {
    // Sleep until a producer (or the destructor) moved wake_ since the last look:
    // C++20 atomic wait, a futex on Linux; the producer's notify is one syscall.
    const std::uint32_t seen = wake_.load(std::memory_order_acquire);
    while (queue_.try_pop(event)) deliver(event);
    if (stopping_.load(std::memory_order_acquire)) {
      // The owner is destroying the sink, so no producer is left: deliver what raced in, stop.
      while (queue_.try_pop(event)) deliver(event);
      return;
    }
    wake_.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace tw::alerts
