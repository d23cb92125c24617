#pragma once
// A call analysed in memory for Python: its tables and events kept as the text
// the files would hold, written by the same writers, so that a DataFrame read
// from them has exactly the CSV's columns and Call.write() gives analyze's files.

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "pipeline/call_timeline.h"
#include "report/call_outputs.h"
#include "report/feature_tables.h"

namespace tw::python {

/// Where one CallSession's outputs go when they stay in memory.
class MemoryOutputs {
 public:
  /// `frames`: keep the per-hop table too.
  MemoryOutputs(const std::string& call_id, bool frames);
  MemoryOutputs(const MemoryOutputs&) = delete;
  MemoryOutputs& operator=(const MemoryOutputs&) = delete;

  pipeline::FeatureSink& tap() noexcept { return tap_; }
  alerts::EventSink& events() noexcept { return events_; }
  /// The events decided since the last call, each one JSON object's text (as a line of events.jsonl).
  std::vector<std::string> take_new_events();
  /// The tables and events so far.
  report::FinishedTables tables() const;

 private:
  // Each event as a line of the events file, and kept for take_new_events().
  class EventLines final : public alerts::EventSink {
   public:
    void on_event(const alerts::Event& event) override;
    std::string text;
    std::vector<std::string> fresh;
  };

  std::ostringstream windows_;
  std::ostringstream frames_;
  bool keep_frames_;
  report::FeatureTablesTap tap_;
  EventLines events_;
};

/// A finished call, as Python's Call holds it.
struct FinishedCall {
  std::string call_id;
  nlohmann::json summary;
  pipeline::CallTimeline timeline;
  report::FinishedTables tables;
};

}  // namespace tw::python
