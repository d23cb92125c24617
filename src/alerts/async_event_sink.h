#pragma once
// Event delivery that never holds up analysis: analysis threads hand events to a
// bounded lock-free queue and go on; one delivery thread passes them downstream
// (files, sockets, webhooks) in order of hand-off. A full queue drops the event
// and counts it (Janus: "do not handle the event directly").

#include <atomic>
#include <cstdint>
#include <thread>

#include "alerts/bounded_queue.h"
#include "alerts/event_sink.h"

namespace tw::alerts {

class AsyncEventSink final : public EventSink {
 public:
  /// Starts the delivery thread. `downstream` is called from that thread only and
  /// must outlive this sink. Throws on capacity 0.
  AsyncEventSink(EventSink& downstream, std::size_t capacity);
  /// Delivers what is queued, then stops the thread.
  ~AsyncEventSink() override;
  AsyncEventSink(const AsyncEventSink&) = delete;
  AsyncEventSink& operator=(const AsyncEventSink&) = delete;

  /// Any thread: copies the event into the queue, or counts it as dropped. Never
  /// blocks and never throws (a copy that cannot allocate is dropped too).
  void on_event(const Event& event) noexcept override;

  /// Waits until every event handed off before this call has been delivered.
  void flush();

  std::uint64_t delivered() const noexcept { return delivered_.load(std::memory_order_acquire); }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  /// Events waiting for delivery (a snapshot).
  std::uint64_t queued() const noexcept;
  /// Exceptions thrown by the downstream sink (each event is delivered at most once).
  std::uint64_t delivery_errors() const noexcept { return delivery_errors_.load(std::memory_order_relaxed); }

 private:
  void deliver_loop();
  void deliver(Event& event) noexcept;

  EventSink& downstream_;
  BoundedQueue<Event> queue_;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint32_t> wake_{0};  // the futex word the delivery thread sleeps on
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> delivery_errors_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tw::alerts
