#include "memory_call.h"

#include <utility>

namespace tw::python {

MemoryOutputs::MemoryOutputs(const std::string& call_id, bool frames)
    : keep_frames_(frames), tap_(windows_, report::TableFormat::csv, call_id, frames ? &frames_ : nullptr) {}

void MemoryOutputs::EventLines::on_event(const alerts::Event& event) {
  std::string line = alerts::to_json(event).dump();
  text += line;
  text += '\n';
  fresh.push_back(std::move(line));
}

std::vector<std::string> MemoryOutputs::take_new_events() { return std::exchange(events_.fresh, {}); }

report::FinishedTables MemoryOutputs::tables() const {
  report::FinishedTables tables{windows_.str(), events_.text, std::nullopt};
  if (keep_frames_) tables.frames_csv = frames_.str();
  return tables;
}

}  // namespace tw::python
