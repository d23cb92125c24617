#include "server/fleet_view.h"

#include <algorithm>
#include <utility>

namespace tw::server {

namespace {

double steady_now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A row or recent entry as published, with the instance that holds it.
bool take_entries(const nlohmann::json& list, const std::string& instance, std::vector<nlohmann::json>& out) {
  if (!list.is_array()) return false;
  out.clear();
  for (const nlohmann::json& entry : list) {
    if (!entry.is_object() || !entry.contains("call") || !entry["call"].is_string()) return false;
    nlohmann::json copy = entry;
    copy["instance"] = instance;
    out.push_back(std::move(copy));
  }
  return true;
}

std::int64_t ended_ms(const nlohmann::json& entry) {
  const auto it = entry.find("ended_unix_ms");
  return it != entry.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

FleetViewConfig with_clock(FleetViewConfig config) {
  if (!config.now_s) config.now_s = steady_now_s;
  return config;
}

}  // namespace

FleetView::FleetView(FleetViewConfig config) : config_(with_clock(std::move(config))) {}

FleetView::Instance& FleetView::heard(const std::string& instance, std::int64_t unix_ms) {
  Instance& known = instances_[instance];
  known.last_heard_s = config_.now_s();
  known.last_heard_unix_ms = unix_ms > 0 ? unix_ms : unix_ms_now();
  if (known.lost) {
    // Back after all (its silence was the network's): its calls are its own again, not lost.
    known.lost = false;
    std::erase_if(lost_, [&instance](const nlohmann::json& entry) { return entry.value("instance", std::string()) == instance; });
  }
  return known;
}

namespace {

// An integer member, or `fallback` when it is absent or not a number (never throws).
std::int64_t int_member(const nlohmann::json& object, const char* name, std::int64_t fallback) {
  const auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

std::string string_member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void FleetView::on_calls(std::string_view data) {
  const nlohmann::json message =
      data.size() <= config_.max_message_bytes ? nlohmann::json::parse(data, nullptr, false) : nlohmann::json();
  const std::lock_guard lock(mutex_);
  if (!message.is_object() || !message.contains("instance") || !message["instance"].is_string()) {
    ++malformed_;
    return;
  }
  const std::string instance = message["instance"].get<std::string>();
  if (instance == config_.own_instance) return;
  std::vector<nlohmann::json> rows, recent;
  if (!take_entries(message.value("calls", nlohmann::json::array()), instance, rows) ||
      !take_entries(message.value("recent", nlohmann::json::array()), instance, recent)) {
    ++malformed_;
    return;
  }
  Instance& known = heard(instance, int_member(message, "unix_ms", 0));
  known.rows = std::move(rows);
  if (recent.size() > config_.max_recent) recent.resize(config_.max_recent);
  known.recent = std::move(recent);
}

void FleetView::on_heartbeat(std::string_view data) {
  const nlohmann::json message = data.size() <= 65536 ? nlohmann::json::parse(data, nullptr, false) : nlohmann::json();
  const std::lock_guard lock(mutex_);
  if (!message.is_object() || !message.contains("instance") || !message["instance"].is_string()) {
    ++malformed_;
    return;
  }
  const std::string instance = message["instance"].get<std::string>();
  if (instance != config_.own_instance) heard(instance, int_member(message, "ts_ms", 0));
}

void FleetView::on_event(std::string_view subject, std::string_view data) {
  // tonewatch.events.<instance>.<call>: the instance is the third token.
  constexpr std::string_view kPrefix = "tonewatch.events.";
  if (subject.substr(0, kPrefix.size()) != kPrefix) return;
  const std::string_view rest = subject.substr(kPrefix.size());
  const std::string instance(rest.substr(0, rest.find('.')));
  if (instance == config_.own_instance) return;
  if (data.size() > 65536) return;  // events are small; a huge one is not ours to show
  nlohmann::json event = nlohmann::json::parse(data, nullptr, false);
  if (!event.is_object() || !event.contains("call") || !event["call"].is_string() || !event.contains("seq") ||
      !event["seq"].is_number_unsigned()) {
    const std::lock_guard lock(mutex_);
    ++malformed_;
    return;
  }
  const std::string call = event["call"].get<std::string>();
  nlohmann::json message;
  if (string_member(event, "kind") == "alert") {
    event["instance"] = instance;
    event["raised_unix_ms"] = unix_ms_now();
    event["acknowledged_by"] = nullptr;
    event["acknowledged_unix_ms"] = nullptr;
    const AlertKey key{instance, call, event["seq"].get<std::uint64_t>()};
    {
      const std::lock_guard lock(mutex_);
      if (alerts_.count(key) != 0) return;  // a redelivery
      alerts_[key] = RemoteAlert{event, true};
      alert_order_.push_back(key);
      while (alert_order_.size() > config_.max_alerts) {
        alerts_.erase(alert_order_.front());
        alert_order_.pop_front();
      }
    }
    message = {{"type", "alert"}, {"alert", std::move(event)}};
  } else if (string_member(event, "type") == "alert_acknowledged" && event.contains("details") && event["details"].is_object()) {
    const nlohmann::json& d = event["details"];
    const auto seq_it = d.find("alert_seq");
    const std::string by = string_member(d, "acknowledged_by");
    if (seq_it == d.end() || !seq_it->is_number_unsigned() || by.empty()) {
      const std::lock_guard lock(mutex_);
      ++malformed_;
      return;
    }
    const std::uint64_t alert_seq = seq_it->get<std::uint64_t>();
    const std::int64_t at = int_member(d, "acknowledged_unix_ms", 0);
    {
      const std::lock_guard lock(mutex_);
      const auto found = alerts_.find({instance, call, alert_seq});
      if (found != alerts_.end()) {
        found->second.open = false;
        found->second.alert["acknowledged_by"] = by;
        found->second.alert["acknowledged_unix_ms"] = at;
      }
    }
    message = {{"type", "ack"}, {"call", call}, {"seq", alert_seq}, {"acknowledged_by", by}, {"acknowledged_unix_ms", at},
               {"instance", instance}};
  } else {
    return;
  }
  if (listener_) listener_(message);
}

std::optional<FleetView::AlertHolder> FleetView::alert_holder(const std::string& call, std::uint64_t sequence) const {
  const std::lock_guard lock(mutex_);
  for (auto it = alert_order_.rbegin(); it != alert_order_.rend(); ++it) {
    if (std::get<1>(*it) != call || std::get<2>(*it) != sequence) continue;
    const auto found = alerts_.find(*it);
    if (found != alerts_.end()) return AlertHolder{std::get<0>(*it), found->second.open};
  }
  return std::nullopt;
}

std::vector<nlohmann::json> FleetView::open_alerts(std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> out;
  for (auto it = alert_order_.rbegin(); it != alert_order_.rend() && out.size() < limit; ++it) {
    const auto found = alerts_.find(*it);
    if (found != alerts_.end() && found->second.open) out.push_back(found->second.alert);
  }
  return out;
}

void FleetView::sweep() {
  // Deaf ourselves (our connection to the bus is down), we cannot tell who is silent.
  if (config_.listening && !config_.listening()) return;
  const double now = config_.now_s();
  // Instances lost long ago are forgotten, with their lost calls.
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (it->second.lost && now - it->second.last_heard_s >= config_.forget_after_s) {
      const std::string id = it->first;
      std::erase_if(lost_, [&id](const nlohmann::json& entry) { return entry.value("instance", std::string()) == id; });
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, instance] : instances_) {
    if (instance.lost || now - instance.last_heard_s < config_.lost_after_s) continue;
    instance.lost = true;
    // Its live calls end here, with what was last known of them.
    for (nlohmann::json& row : instance.rows) {
      nlohmann::json ended = {{"call", row["call"]},
                              {"agent", row.value("agent", nlohmann::json())},
                              {"started_unix_ms", row.value("started_unix_ms", nlohmann::json())},
                              {"ended_unix_ms", instance.last_heard_unix_ms},
                              {"duration_s", row.value("duration_s", nlohmann::json())},
                              {"verdict", "lost with instance " + id},
                              {"stages", nlohmann::json::array()},
                              {"report", nullptr},
                              {"error", nullptr},
                              {"instance", id},
                              {"lost", true}};
      lost_.push_front(std::move(ended));
    }
    instance.rows.clear();
    while (lost_.size() > config_.max_recent) lost_.pop_back();
  }
}

std::vector<nlohmann::json> FleetView::rows() {
  const std::lock_guard lock(mutex_);
  sweep();
  std::vector<nlohmann::json> out;
  for (const auto& [id, instance] : instances_)
    if (!instance.lost) out.insert(out.end(), instance.rows.begin(), instance.rows.end());
  return out;
}

std::vector<nlohmann::json> FleetView::recent() {
  const std::lock_guard lock(mutex_);
  sweep();
  std::vector<nlohmann::json> out(lost_.begin(), lost_.end());
  for (const auto& [id, instance] : instances_) out.insert(out.end(), instance.recent.begin(), instance.recent.end());
  std::stable_sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) { return ended_ms(a) > ended_ms(b); });
  if (out.size() > config_.max_recent) out.resize(config_.max_recent);
  return out;
}

std::optional<std::string> FleetView::holder_of(const std::string& call) {
  const std::lock_guard lock(mutex_);
  sweep();
  const auto lists = [&call](const std::vector<nlohmann::json>& entries) {
    for (const nlohmann::json& e : entries)
      if (e.is_object() && e.value("call", std::string()) == call) return true;
    return false;
  };
  // A live call first: two instances may both list a call id (a split call, a restart).
  for (const auto& [id, instance] : instances_)
    if (!instance.lost && lists(instance.rows)) return id;
  for (const auto& [id, instance] : instances_)
    if (!instance.lost && lists(instance.recent)) return id;
  return std::nullopt;
}

nlohmann::json FleetView::instances() {
  const std::lock_guard lock(mutex_);
  sweep();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, instance] : instances_)
    out.push_back({{"instance", id}, {"last_heard_unix_ms", instance.last_heard_unix_ms}, {"lost", instance.lost},
                   {"calls", instance.rows.size()}});
  return out;
}

std::uint64_t FleetView::malformed() const {
  const std::lock_guard lock(mutex_);
  return malformed_;
}

}  // namespace tw::server
