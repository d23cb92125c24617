#pragma once
// The wallboard's pushed updates (the WebSocket /dashboard/feed). Once a second,
// one message carries every live call's row that changed (stage, agitation,
// agent flags, dead air, open alerts), the calls that ended and the recent calls
// they became; alerts and acknowledgements go out the moment the event hub
// delivers them. A connection gets a snapshot first (every row with its
// sparkline, recent calls, open alerts), and again whenever it asks ("snapshot")
// or its outbox dropped a message, so a slow reader is never left stale.
//
// Messages (JSON text):
//   {"type":"snapshot","unix_ms":..,"calls":[row..],"recent":[recent..],"alerts":[alert..],
//    "features":{evidence feature: readable name}}
//   {"type":"tick","unix_ms":..,"calls":[row..],"gone":[id..],"recent":[recent..]}
//   {"type":"alert","alert":{event..,"explanation","raised_unix_ms","acknowledged_by":null,..}}
//   {"type":"ack","call":id,"seq":n,"acknowledged_by":user,"acknowledged_unix_ms":..}
// row: call, agent, started_unix_ms, duration_s, t (the second), stage, agitation,
//   scored, flags [agent_raised_voice|agent_fast_speech|agent_slow_speech|
//   agent_interrupting|agent_monotone|agent_monologue], dead_air, open_alerts,
//   analysing, error; in a snapshot also spark (the caller's agitation, one value
//   a second, oldest first) and spark_end_s.
// recent: call, agent, started_unix_ms, ended_unix_ms, duration_s, verdict,
//   stages [[stage, start_s, end_s]..], report (a URL path or null), error.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/connection_handler.h"
#include "server/call_registry.h"
#include "server/event_hub.h"
#include "server/fleet_view.h"
#include "server/metrics.h"

namespace tw::server {

struct FeedConfig {
  double tick_s = 1.0;              ///< the per-second batch
  std::size_t spark_seconds = 300;  ///< the sparkline's span: the last five minutes
  double interrupting_s = 15.0;     ///< an agent interruption shows as a flag for this long (stream time)
};

class DashboardFeed {
 public:
  DashboardFeed(CallRegistry& registry, EventHub& hub, Metrics& metrics, FeedConfig config = {});
  ~DashboardFeed();
  DashboardFeed(const DashboardFeed&) = delete;
  DashboardFeed& operator=(const DashboardFeed&) = delete;

  /// Starts the once-a-second thread (idempotent).
  void start();
  /// Stops it; connections stay open but get no more ticks.
  void stop();

  /// The handler of a WebSocket connection on /dashboard/feed. With ?call=ID the
  /// rows are only that call's (the call view); alerts are always every call's.
  std::unique_ptr<net::ConnectionHandler> open(const net::Request& request, std::shared_ptr<net::Outbox> outbox);

  /// The snapshot message, for all calls or one (empty: all).
  std::string snapshot(const std::string& call) const;
  /// Builds one tick's message for all calls and moves the feed's memory of what
  /// was sent on. The thread calls it once a second; tests may call it directly.
  std::string tick_message();
  /// Connections open now.
  std::size_t clients() const;

  /// In a fleet (issue 25): every row and recent entry gets "instance" (this one's id for
  /// its own calls), and the other instances' calls from `fleet` join the rows and the
  /// recent list. Before start(); `fleet` must outlive the feed.
  void set_fleet(FleetView* fleet, std::string own_instance);
  /// This instance's id on the bus, for fleet_message, when it shows no fleet
  /// (serve --no-fleet-view). Before any tick.
  void set_instance(std::string own_instance) { own_instance_ = std::move(own_instance); }
  /// This instance's calls for the others' wallboards, once a second on the bus
  /// (tonewatch.calls.<instance>): {"instance","unix_ms","calls":[row..],"recent":[recent..]}.
  std::string fleet_message() const { return fleet_message(registry_.active()); }
  /// The same from `active`, the registry's live calls the caller already has.
  std::string fleet_message(const std::vector<CallStatus>& active) const;

  /// A live call's row. `interrupting`: the agent interrupted recently.
  static nlohmann::json row_json(const CallStatus& status, const std::vector<std::string>& open_episodes,
                                 std::size_t open_alerts, bool interrupting);
  /// An ended call's entry in the recent list.
  static nlohmann::json recent_json(const CallStatus& status, const std::vector<std::uint64_t>& unacknowledged = {});

 private:
  struct Client {
    std::shared_ptr<net::Outbox> outbox;
    std::string call;                 ///< empty: every call
    std::uint64_t dropped_seen = 0;
  };
  class Handler;

  void run();
  void on_event(const alerts::Event& event, const std::string& line);
  void remove(int id);
  bool interrupting(const std::string& call, double now_s) const;
  /// A live call's row with its open episodes, open alerts (from `open_alerts`) and interruption flag.
  nlohmann::json live_row(const CallStatus& s, const std::map<std::string, std::size_t>& open_alerts) const;
  /// Hands `message` to every connection's outbox (which only queues it).
  void broadcast(const std::string& message);

  CallRegistry& registry_;
  EventHub& hub_;
  FleetView* fleet_ = nullptr;
  std::string own_instance_;
  const FeedConfig config_;
  Gauge& clients_gauge_;
  int hub_subscription_ = 0;

  mutable std::mutex clients_mutex_;
  std::map<int, Client> clients_;
  int next_client_ = 1;

  mutable std::mutex interruptions_mutex_;
  std::map<std::string, double> agent_interrupted_at_s_;  // call -> stream time of the agent's last interruption

  // The ticker's memory (tick_message only).
  std::mutex tick_mutex_;
  std::map<std::string, std::string> last_rows_;  // call -> the row last sent
  std::set<std::string> recent_sent_;

  std::mutex run_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tw::server
