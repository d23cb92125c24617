#include "server/event_hub.h"

#include <chrono>

#include "server/wall_clock.h"

namespace tw::server {
namespace {

constexpr std::size_t kMaxAlerts = 5000;
// Ended calls remembered for their late events: far more than a call's events can
// lag behind its end (the delivery queue holds seconds of events).
constexpr std::size_t kMaxEndedCalls = 10000;

}  // namespace

EventHub::EventHub(Metrics& metrics, std::ostream* lines) : metrics_(metrics), lines_(lines) {}

void EventHub::add_sink(alerts::EventSink& sink) {
  std::lock_guard<std::mutex> lock(delivery_mutex_);
  sinks_.push_back(&sink);
}

int EventHub::subscribe(Subscriber subscriber) {
  std::lock_guard<std::mutex> lock(delivery_mutex_);
  const int id = next_subscriber_++;
  subscribers_[id] = std::move(subscriber);
  return id;
}

void EventHub::unsubscribe(int id) {
  std::lock_guard<std::mutex> lock(delivery_mutex_);
  subscribers_.erase(id);
}

void EventHub::clear_subscribers() {
  std::map<int, Subscriber> gone;
  {
    std::lock_guard<std::mutex> lock(delivery_mutex_);
    gone.swap(subscribers_);
  }
}

void EventHub::on_event(const alerts::Event& event) {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    const bool ended = ended_calls_.count(event.call_id) > 0;
    if (event.kind == alerts::EventKind::alert) {
      alerts_.push_back({event, unix_ms(), {}, 0, ended});
      if (alerts_.size() > kMaxAlerts) alerts_.pop_front();
    }
    if (event.state == alerts::EventState::opened && !ended) episodes_[event.call_id][event.type] = event.since_s;
    if (event.state == alerts::EventState::closed) {
      auto it = episodes_.find(event.call_id);
      if (it != episodes_.end()) {
        it->second.erase(event.type);
        if (it->second.empty()) episodes_.erase(it);
      }
    }
  }
  std::lock_guard<std::mutex> lock(delivery_mutex_);
  dispatch(event);
}

void EventHub::dispatch(const alerts::Event& event) {
  const std::string line = alerts::to_json(event).dump();
  if (lines_ != nullptr) {
    *lines_ << line << '\n';
    lines_->flush();
  }
  metrics_.counter("tonewatch_events_total", "Events raised, by kind and type",
                   label("kind", std::string(alerts::to_string(event.kind))) + "," + label("type", event.type))
      .add();
  if (event.kind == alerts::EventKind::alert) {
    metrics_.counter("tonewatch_alerts_total", "Supervisor alerts, by reason",
                     label("reason", event.details.value("reason", event.type)))
        .add();
  }
  for (alerts::EventSink* sink : sinks_) {
    try {
      sink->on_event(event);
    } catch (const std::exception&) {
      metrics_.counter("tonewatch_event_sink_errors_total", "Events a downstream sink failed to take").add();
    }
  }
  for (auto& [id, subscriber] : subscribers_) subscriber(event, line);
}

std::optional<alerts::Event> EventHub::acknowledge(const std::string& call_id, std::uint64_t sequence,
                                                   const std::string& user) {
  alerts::Event ack;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    AlertRecord* record = nullptr;
    for (AlertRecord& r : alerts_) {
      if (r.event.call_id == call_id && r.event.sequence == sequence) record = &r;
    }
    if (record == nullptr || !record->acknowledged_by.empty()) return std::nullopt;
    record->acknowledged_by = user;
    record->acknowledged_unix_ms = unix_ms();
    ack.call_id = call_id;
    // An event of the call like any other: its own number from the call's counter
    // (call + seq is its identity and the webhook idempotency key; two acks of one
    // call never share one). The alert it acknowledges is details.alert_seq.
    ack.sequence = sequencer_ ? sequencer_(call_id) : 0;
    ack.time_s = record->event.time_s;
    ack.kind = alerts::EventKind::event;
    ack.type = "alert_acknowledged";
    ack.severity = alerts::Severity::info;
    ack.state = alerts::EventState::instant;
    ack.since_s = record->event.time_s;
    ack.message = "alert " + record->event.details.value("reason", record->event.type) + " acknowledged by " + user;
    ack.details = {{"alert_seq", sequence},
                   {"reason", record->event.details.value("reason", record->event.type)},
                   {"acknowledged_by", user},
                   {"acknowledged_unix_ms", record->acknowledged_unix_ms}};
  }
  std::lock_guard<std::mutex> lock(delivery_mutex_);
  dispatch(ack);
  return ack;
}

bool EventHub::acknowledged_already(const std::string& call_id, std::uint64_t sequence) const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  for (const AlertRecord& r : alerts_) {
    if (r.event.call_id == call_id && r.event.sequence == sequence && !r.acknowledged_by.empty()) return true;
  }
  return false;
}

void EventHub::call_ended(const std::string& call_id) {
  std::lock_guard<std::mutex> lock(state_mutex_);
  for (AlertRecord& r : alerts_) {
    if (r.event.call_id == call_id && r.acknowledged_by.empty()) r.call_ended = true;
  }
  episodes_.erase(call_id);
  if (ended_calls_.insert(call_id).second) {
    ended_order_.push_back(call_id);
    if (ended_order_.size() > kMaxEndedCalls) {
      ended_calls_.erase(ended_order_.front());
      ended_order_.pop_front();
    }
  }
}

std::vector<AlertRecord> EventHub::alerts(bool open_only) const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  std::vector<AlertRecord> out;
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it) {
    if (!open_only || (it->acknowledged_by.empty() && !it->call_ended)) out.push_back(*it);
  }
  return out;
}

std::vector<std::string> EventHub::open_episodes(const std::string& call_id) const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  std::vector<std::string> out;
  if (auto it = episodes_.find(call_id); it != episodes_.end()) {
    for (const auto& [type, since] : it->second) out.push_back(type);
  }
  return out;
}

std::size_t EventHub::open_alert_count(const std::string& call_id) const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  std::size_t n = 0;
  for (const AlertRecord& r : alerts_) n += r.event.call_id == call_id && r.acknowledged_by.empty() && !r.call_ended;
  return n;
}

std::map<std::string, std::vector<std::uint64_t>> EventHub::unacknowledged() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  std::map<std::string, std::vector<std::uint64_t>> out;
  for (const AlertRecord& r : alerts_) {
    if (r.acknowledged_by.empty()) out[r.event.call_id].push_back(r.event.sequence);
  }
  return out;
}

std::map<std::string, std::size_t> EventHub::open_alert_counts() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  std::map<std::string, std::size_t> out;
  for (const AlertRecord& r : alerts_) {
    if (r.acknowledged_by.empty() && !r.call_ended) ++out[r.event.call_id];
  }
  return out;
}

}  // namespace tw::server
