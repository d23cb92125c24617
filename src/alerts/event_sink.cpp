#include "alerts/event_sink.h"

#include <cmath>
#include <cstdio>

namespace tw::alerts {

void JsonLinesSink::on_event(const Event& event) {
  out_ << to_json(event).dump() << '\n';
  if (flush_each_) out_.flush();
}

std::string describe(const Event& e) {
  char head[96];
  std::snprintf(head, sizeof head, "[%7.1f s] %-5s %-8s ", e.time_s, e.kind == EventKind::alert ? "ALERT" : "event",
                std::string(to_string(e.severity)).c_str());
  std::string line = head + e.type;
  if (!e.speaker.empty()) line += " (" + e.speaker + ")";
  if (e.state != EventState::instant) line += " " + std::string(to_string(e.state));
  if (!e.message.empty()) line += ": " + e.message;
  return line;
}

void ConsoleSink::on_event(const Event& event) {
  if (alerts_only_ && event.kind != EventKind::alert) return;
  const std::string line = describe(event);
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << line << '\n';
  out_.flush();
}

}  // namespace tw::alerts
