#pragma once
// The tap and event sink of the benchmarks: the session's windows and events are made
// (detection included) and counted, nothing is written.

#include <cstdint>

#include "alerts/event_sink.h"
#include "pipeline/call_analyzer.h"

namespace tw::bench {

class CountingSink final : public pipeline::FeatureSink, public alerts::EventSink {
 public:
  void on_window(features::SpeakerRole, const features::WindowSummary&) override { ++windows; }
  void on_event(const alerts::Event&) override { ++events; }
  std::int64_t windows = 0;
  std::int64_t events = 0;
};

}  // namespace tw::bench
