#include "server/dashboard_feed.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <pthread.h>

#include "report/call_report.h"
#include "server/http_api.h"
#include "server/split_calls.h"
#include "server/wall_clock.h"

namespace tw::server {
namespace {

using nlohmann::json;

constexpr std::size_t kSnapshotAlerts = 200;  // the newest open alerts a snapshot carries

/// One call's entry of EventHub::unacknowledged(): none if it has none.
std::vector<std::uint64_t> alerts_of(const std::map<std::string, std::vector<std::uint64_t>>& by_call,
                                     const std::string& call_id) {
  const auto it = by_call.find(call_id);
  return it == by_call.end() ? std::vector<std::uint64_t>{} : it->second;
}

/// The agent's id from the stream's metadata: the generic protocol's agent_id (or
/// what platforms call it), at the top or in Twilio's customParameters (TwiML
/// <Parameter name="agent_id" .../>).
// What the report says of an alert (the toast's and the list's text).
json explanation_of(const alerts::Event& event) { return report::report_ui_json({event})["explanations"][0]; }

json agent_of(const json& metadata) {
  if (!metadata.is_object()) return nullptr;
  for (const json* where : {&metadata, metadata.contains("customParameters") ? &metadata["customParameters"] : nullptr}) {
    if (where == nullptr || !where->is_object()) continue;
    for (const char* key : {"agent_id", "agent", "agentId", "agent_name"}) {
      const auto it = where->find(key);
      if (it != where->end() && it->is_string() && !it->get<std::string>().empty()) return *it;
      if (it != where->end() && it->is_number()) return it->dump();
    }
  }
  return nullptr;
}

// The wallboard's agent flags: the agent-tone episodes open now.
constexpr const char* kAgentEpisodes[] = {"agent_raised_voice", "agent_fast_speech", "agent_slow_speech",
                                          "agent_monotone", "agent_monologue"};

}  // namespace

/// One connection: asks for snapshots, and leaves the client list when it closes.
class DashboardFeed::Handler final : public net::ConnectionHandler {
 public:
  Handler(DashboardFeed& feed, int id, std::weak_ptr<net::Outbox> outbox, std::string call)
      : feed_(feed), id_(id), outbox_(std::move(outbox)), call_(std::move(call)) {}
  ~Handler() override { feed_.remove(id_); }
  net::Verdict on_text(std::string_view message) override {
    if (message == "snapshot") {
      if (auto outbox = outbox_.lock()) outbox->send(feed_.snapshot(call_));
    }
    return net::Verdict::keep();  // anything else (keep-alive pings) is ignored
  }
  void on_closed(bool) override { feed_.remove(id_); }

 private:
  DashboardFeed& feed_;
  const int id_;
  // Weak: the connection owns this handler, so a strong reference would keep it alive for ever.
  std::weak_ptr<net::Outbox> outbox_;
  const std::string call_;
};

DashboardFeed::DashboardFeed(CallRegistry& registry, EventHub& hub, Metrics& metrics, FeedConfig config)
    : registry_(registry),
      hub_(hub),
      config_(config),
      clients_gauge_(metrics.gauge("tonewatch_dashboard_clients", "Dashboard pages connected to /dashboard/feed")) {
  hub_subscription_ = hub_.subscribe([this](const alerts::Event& e, const std::string& line) { on_event(e, line); });
}

DashboardFeed::~DashboardFeed() {
  stop();
  hub_.unsubscribe(hub_subscription_);
}

void DashboardFeed::start() {
  std::lock_guard<std::mutex> lock(run_mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-dashboard");  // named for top -H and perf
    run();
  });
}

void DashboardFeed::stop() {
  {
    std::lock_guard<std::mutex> lock(run_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DashboardFeed::run() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(config_.tick_s));
  auto next = std::chrono::steady_clock::now() + period;
  std::unique_lock<std::mutex> lock(run_mutex_);
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    // Ticks keep to the clock, not to the time a tick took.
    next += period;
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now() + period;
    if (clients() > 0) {
      const std::string all = tick_message();
      json parts;  // parsed once, only if some connection follows one call
      std::lock_guard<std::mutex> clients_lock(clients_mutex_);
      for (auto& [id, client] : clients_) {
        const std::uint64_t dropped = client.outbox->dropped();
        if (dropped != client.dropped_seen) {
          // It missed a message: a whole picture puts it right.
          client.dropped_seen = dropped;
          client.outbox->send(snapshot(client.call));
          continue;
        }
        if (client.call.empty()) {
          client.outbox->send(all);
          continue;
        }
        if (parts.is_null()) parts = json::parse(all);
        json mine = {{"type", "tick"}, {"unix_ms", parts["unix_ms"]}, {"calls", json::array()},
                     {"gone", json::array()}, {"recent", json::array()}};
        for (const char* list : {"calls", "recent"}) {
          for (const json& r : parts[list]) {
            if (r.value("call", std::string()) == client.call) mine[list].push_back(r);
          }
        }
        for (const json& g : parts["gone"]) {
          if (g == client.call) mine["gone"].push_back(g);
        }
        client.outbox->send(mine.dump());
      }
    }
    lock.lock();
  }
}

void DashboardFeed::on_event(const alerts::Event& e, const std::string& line) {
  // The hub's delivery thread: build the message, hand it to the outboxes (which
  // only queue it), return.
  std::string message;
  if (e.kind == alerts::EventKind::alert) {
    json alert = json::parse(line);
    alert["explanation"] = explanation_of(e);
    alert["raised_unix_ms"] = unix_ms();
    alert["acknowledged_by"] = nullptr;
    alert["acknowledged_unix_ms"] = nullptr;
    message = json{{"type", "alert"}, {"alert", std::move(alert)}}.dump();
  } else if (e.type == "alert_acknowledged" && e.details.is_object()) {
    message = json{{"type", "ack"},
                   {"call", e.call_id},
                   {"seq", e.details.value("alert_seq", std::uint64_t{0})},
                   {"acknowledged_by", e.details.value("acknowledged_by", std::string())},
                   {"acknowledged_unix_ms", e.details.value("acknowledged_unix_ms", std::int64_t{0})}}
                  .dump();
  } else {
    if (e.type == "interruption" && e.speaker == "agent") {
      std::lock_guard<std::mutex> lock(interruptions_mutex_);
      agent_interrupted_at_s_[e.call_id] = e.time_s;
    }
    return;
  }
  broadcast(message);
}

void DashboardFeed::broadcast(const std::string& message) {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  for (auto& [id, client] : clients_) client.outbox->send(message);
}

json DashboardFeed::live_row(const CallStatus& s, const std::map<std::string, std::size_t>& open_alerts) const {
  const auto n = open_alerts.find(s.call_id);
  return row_json(s, hub_.open_episodes(s.call_id), n == open_alerts.end() ? 0 : n->second, interrupting(s.call_id, s.duration_s));
}

bool DashboardFeed::interrupting(const std::string& call, double now_s) const {
  std::lock_guard<std::mutex> lock(interruptions_mutex_);
  const auto it = agent_interrupted_at_s_.find(call);
  return it != agent_interrupted_at_s_.end() && now_s - it->second <= config_.interrupting_s;
}

json DashboardFeed::row_json(const CallStatus& s, const std::vector<std::string>& open_episodes, std::size_t open_alerts,
                             bool interrupting) {
  json flags = json::array();
  bool dead_air = false;
  for (const char* type : kAgentEpisodes) {
    for (const std::string& open : open_episodes) {
      if (open == type) flags.push_back(type);
    }
  }
  if (interrupting) flags.push_back("agent_interrupting");
  for (const std::string& open : open_episodes) dead_air = dead_air || open == "dead_air";
  return {{"call", s.call_id},
          {"agent", agent_of(s.metadata)},
          {"started_unix_ms", s.started_unix_ms},
          {"duration_s", alerts::json_number(s.duration_s, 1)},
          {"t", static_cast<std::int64_t>(std::floor(std::max(0.0, s.duration_s)))},
          {"stage", s.stage},
          {"agitation", alerts::json_number(s.caller_agitation, 2)},
          {"scored", s.caller_scored},
          {"flags", std::move(flags)},
          {"dead_air", dead_air},
          {"open_alerts", open_alerts},
          {"analysing", s.analysing},
          {"error", s.error},
          {"split", split_text(s.metadata)}};  // a fleet's split call (split_calls.h)
}

json DashboardFeed::recent_json(const CallStatus& s, const std::vector<std::uint64_t>& unacknowledged) {
  json stages = json::array();
  for (const pipeline::StageSpan& span : s.stages) {
    stages.push_back({std::string(detect::to_string(span.stage)), alerts::json_number(span.start_s, 1),
                      alerts::json_number(span.end_s, 1)});
  }
  return {{"call", s.call_id},
          {"agent", agent_of(s.metadata)},
          {"started_unix_ms", s.started_unix_ms},
          {"ended_unix_ms", s.ended_unix_ms},
          {"duration_s", alerts::json_number(s.duration_s, 1)},
          {"verdict", s.verdict},
          {"stages", std::move(stages)},
          {"report", s.report_path.empty() ? json(nullptr) : json("/calls/" + s.call_id + "/report")},
          {"unacknowledged", unacknowledged},  // its alerts closed with it, still to acknowledge
          {"error", s.error}};
}

std::string DashboardFeed::snapshot(const std::string& call) const {
  const std::map<std::string, std::size_t> open = hub_.open_alert_counts();
  json calls = json::array(), recent = json::array(), alerts = json::array();
  for (const CallStatus& s : registry_.active()) {
    if (!call.empty() && s.call_id != call) continue;
    json row = live_row(s, open);
    double end_s = -1.0;
    json spark = json::array();
    if (auto live = registry_.live(s.call_id)) {
      for (float v : live->timeline().recent_agitation(config_.spark_seconds, end_s)) spark.push_back(alerts::json_number(v, 2));
    }
    row["spark"] = std::move(spark);
    row["spark_end_s"] = end_s;
    if (fleet_ != nullptr) row["instance"] = own_instance_;
    calls.push_back(std::move(row));
  }
  const std::map<std::string, std::vector<std::uint64_t>> unacknowledged = hub_.unacknowledged();
  for (const CallStatus& s : registry_.recent()) {
    if (!call.empty() && s.call_id != call) continue;
    recent.push_back(recent_json(s, alerts_of(unacknowledged, s.call_id)));
    if (fleet_ != nullptr) recent.back()["instance"] = own_instance_;
  }
  if (fleet_ != nullptr) {
    // The other instances' calls: their rows as they last published them (no sparkline:
    // that is the holding instance's to draw), and their ended and lost calls.
    for (nlohmann::json& row : fleet_->rows())
      if (call.empty() || row["call"] == call) calls.push_back(std::move(row));
    for (nlohmann::json& entry : fleet_->recent())
      if (call.empty() || entry["call"] == call) recent.push_back(std::move(entry));
  }
  for (const AlertRecord& r : hub_.alerts(true)) {
    if (alerts.size() >= kSnapshotAlerts) break;
    json alert = alert_json(r);
    alert["explanation"] = explanation_of(r.event);
    if (fleet_ != nullptr) alert["instance"] = own_instance_;
    alerts.push_back(std::move(alert));
  }
  if (fleet_ != nullptr) {
    for (json& alert : fleet_->open_alerts(kSnapshotAlerts)) {
      if (alerts.size() >= 2 * kSnapshotAlerts) break;
      try {
        alert["explanation"] = explanation_of(alerts::event_from_json(alert));
      } catch (const std::exception&) {
        continue;  // an event this version cannot read: not shown rather than shown wrong
      }
      alerts.push_back(std::move(alert));
    }
  }
  // Readable names of evidence features: the report's, so toasts say what the report says.
  static const json features = report::report_ui_json({})["features"];
  return json{{"type", "snapshot"}, {"unix_ms", unix_ms()}, {"calls", calls},   {"recent", recent},
              {"alerts", alerts},   {"features", features}}
      .dump();
}

std::string DashboardFeed::tick_message() {
  const std::vector<CallStatus> active = registry_.active();
  const std::vector<CallStatus> ended = registry_.recent();
  const std::map<std::string, std::size_t> open = hub_.open_alert_counts();
  json calls = json::array(), gone = json::array(), recent = json::array();
  std::lock_guard<std::mutex> lock(tick_mutex_);
  std::map<std::string, std::string> rows;
  auto add_row = [&](const std::string& id, json row) {
    std::string text = row.dump();
    const auto last = last_rows_.find(id);
    if (last == last_rows_.end() || last->second != text) calls.push_back(std::move(row));
    rows.emplace(id, std::move(text));
  };
  for (const CallStatus& s : active) {
    json row = live_row(s, open);
    if (fleet_ != nullptr) row["instance"] = own_instance_;
    add_row(s.call_id, std::move(row));
  }
  std::vector<json> fleet_recent;
  if (fleet_ != nullptr) {
    for (json& row : fleet_->rows()) {
      const std::string id = row["call"].get<std::string>();
      if (rows.count(id) == 0) add_row(id, std::move(row));  // a call id held here wins
    }
    fleet_recent = fleet_->recent();
  }
  for (const auto& [id, text] : last_rows_) {
    if (rows.count(id) == 0) gone.push_back(id);
  }
  last_rows_ = std::move(rows);
  std::set<std::string> listed;
  std::optional<std::map<std::string, std::vector<std::uint64_t>>> unacknowledged;  // only for rows new this tick
  for (const CallStatus& s : ended) {
    listed.insert(s.call_id);
    if (!recent_sent_.insert(s.call_id).second) continue;
    if (!unacknowledged) unacknowledged = hub_.unacknowledged();
    recent.push_back(recent_json(s, alerts_of(*unacknowledged, s.call_id)));
    if (fleet_ != nullptr) recent.back()["instance"] = own_instance_;
  }
  for (json& entry : fleet_recent) {
    // Keyed by instance too: a call id this instance has listed as ended (one party of a
    // split call, issue 25) may still be live elsewhere, and its end there, or its loss
    // with that instance, is news.
    const std::string key = entry.value("instance", std::string()) + '\n' + entry["call"].get<std::string>();
    listed.insert(key);
    if (recent_sent_.insert(key).second) recent.push_back(std::move(entry));
  }
  // Forget what left the recent list (and the calls' interruption marks).
  for (auto it = recent_sent_.begin(); it != recent_sent_.end();) {
    it = listed.count(*it) == 0 ? recent_sent_.erase(it) : std::next(it);
  }
  if (!gone.empty()) {
    std::lock_guard<std::mutex> marks(interruptions_mutex_);
    for (const json& id : gone) agent_interrupted_at_s_.erase(id.get<std::string>());
  }
  return json{{"type", "tick"}, {"unix_ms", unix_ms()}, {"calls", calls}, {"gone", gone}, {"recent", recent}}.dump();
}

void DashboardFeed::set_fleet(FleetView* fleet, std::string own_instance) {
  fleet_ = fleet;
  own_instance_ = std::move(own_instance);
  // Other instances' alerts and acknowledgements reach every wallboard as they happen, as
  // this instance's own do (on_event): every connection gets them, like the local ones.
  fleet_->set_listener([this](const json& message) {
    json m = message;
    if (m.value("type", "") == "alert") {
      try {
        m["alert"]["explanation"] = explanation_of(alerts::event_from_json(m["alert"]));
      } catch (const std::exception&) {
        return;  // an event this version cannot read: not shown rather than shown wrong
      }
    }
    broadcast(m.dump());
  });
}

std::string DashboardFeed::fleet_message(const std::vector<CallStatus>& active) const {
  // What tick_message sends for the local calls, whole each second (a wallboard that
  // joins the bus late, or missed one, is whole by the next second).
  const std::map<std::string, std::size_t> open = hub_.open_alert_counts();
  json calls = json::array(), recent = json::array();
  for (const CallStatus& s : active) {
    calls.push_back(live_row(s, open));
    // A party whose other half may stream to another instance: that one finds the pair.
    if (const auto one = one_party_of(s)) calls.back()["one_party"] = one_party_json(*one);
  }
  const std::map<std::string, std::vector<std::uint64_t>> unacknowledged = hub_.unacknowledged();
  for (const CallStatus& s : registry_.recent()) {
    if (recent.size() >= 50) break;  // the newest; the wallboard shows fewer
    recent.push_back(recent_json(s, alerts_of(unacknowledged, s.call_id)));
  }
  return json{{"instance", own_instance_}, {"unix_ms", unix_ms()}, {"calls", calls}, {"recent", recent}}.dump();
}

std::unique_ptr<net::ConnectionHandler> DashboardFeed::open(const net::Request& request, std::shared_ptr<net::Outbox> outbox) {
  const std::string call = request.query_param("call");
  int id = 0;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    id = next_client_++;
    clients_[id] = Client{outbox, call, outbox->dropped()};
    clients_gauge_.set(static_cast<double>(clients_.size()));
  }
  // Queued now, written once the handshake is done.
  outbox->send(snapshot(call));
  return std::make_unique<Handler>(*this, id, std::move(outbox), call);
}

void DashboardFeed::remove(int id) {
  std::shared_ptr<net::Outbox> last;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    const auto it = clients_.find(id);
    if (it == clients_.end()) return;
    last = std::move(it->second.outbox);
    clients_.erase(it);
    clients_gauge_.set(static_cast<double>(clients_.size()));
  }
  // `last` may be the connection's last owner: it goes here, outside the lock, as
  // the connection's handler calls remove() again from its destructor.
}

std::size_t DashboardFeed::clients() const {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  return clients_.size();
}

}  // namespace tw::server
