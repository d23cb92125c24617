#pragma once
// Where events go: a file of JSON lines, the console, memory, several at once.

#include <mutex>
#include <ostream>
#include <vector>

#include "alerts/event.h"

namespace tw::alerts {

/// The virtual edge between detection and output.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

/// One JSON object per line; flushed per event so a live reader sees it at once.
class JsonLinesSink final : public EventSink {
 public:
  explicit JsonLinesSink(std::ostream& out, bool flush_each = false) : out_(out), flush_each_(flush_each) {}
  void on_event(const Event& event) override;

 private:
  std::ostream& out_;
  bool flush_each_;
};

/// Keeps every event (reports and tests).
class CollectingSink final : public EventSink {
 public:
  void on_event(const Event& event) override { events_.push_back(event); }
  const std::vector<Event>& events() const noexcept { return events_; }

 private:
  std::vector<Event> events_;
};

/// Forwards to several sinks in order.
class FanoutSink final : public EventSink {
 public:
  explicit FanoutSink(std::vector<EventSink*> sinks) : sinks_(std::move(sinks)) {}
  void on_event(const Event& event) override {
    for (EventSink* s : sinks_) s->on_event(event);
  }

 private:
  std::vector<EventSink*> sinks_;
};

/// A human-readable line per event, for a console watching live calls.
/// Thread-safe: several calls may share one console.
class ConsoleSink final : public EventSink {
 public:
  explicit ConsoleSink(std::ostream& out, bool alerts_only = false) : out_(out), alerts_only_(alerts_only) {}
  void on_event(const Event& event) override;

 private:
  std::ostream& out_;
  bool alerts_only_;
  std::mutex mutex_;
};

/// "[12.3 s] ALERT critical agent_raised_voice (agent): ... " — also used by reports.
std::string describe(const Event& event);

}  // namespace tw::alerts
