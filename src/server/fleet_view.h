#pragma once
// The rest of the fleet as this instance's wallboard sees it (issue 25): every other
// instance's live calls and ended calls, from what they publish on the bus once a second
// (tonewatch.calls.<instance>, DashboardFeed::fleet_message), and which instances are
// alive (tonewatch.heartbeat.<instance>). An instance not heard from for `lost_after_s`
// is lost: its live calls leave the live rows and join the ended ones as "lost with
// instance X", with what was last known of them; nothing claims they are still live.
//
// Written from the bus subscriber's thread (on_calls, on_heartbeat), read by the
// dashboard feed's: one mutex, held only to copy.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace tw::server {

struct FleetViewConfig {
  std::string own_instance;          ///< this instance's id: its own messages are ignored
  /// Heartbeats come each second: six missed is a dead instance, not a slow one. With the
  /// last heartbeat up to 1 s before the death and the wallboard's 1 s tick, its calls show
  /// as lost 6-8 s after it, inside issue 25's 10 s.
  double lost_after_s = 6.0;
  std::size_t max_recent = 200;      ///< other instances' ended calls kept
  std::size_t max_message_bytes = 8 << 20;
  std::size_t max_alerts = 1000;     ///< other instances' alerts remembered
  double forget_after_s = 600.0;     ///< a lost instance's entry (and its lost calls) goes after this
  /// Seconds on a steady clock; tests give their own.
  std::function<double()> now_s;
  /// Whether this instance hears the bus now: while it does not, silence proves nothing and
  /// nobody is declared lost. Null: always.
  std::function<bool()> listening;
};

class FleetView {
 public:
  explicit FleetView(FleetViewConfig config);

  /// A tonewatch.calls.<instance> message: {"instance","unix_ms","calls":[row..],"recent":[recent..]}.
  /// Malformed or oversized messages are counted and ignored. Any thread.
  void on_calls(std::string_view data);
  /// A tonewatch.heartbeat.<instance> message: {"instance","ts_ms",...}. Any thread.
  void on_heartbeat(std::string_view data);
  /// An event another instance published (tonewatch.events.<instance>.<call>): its
  /// supervisor alerts and their acknowledgements are the fleet's. Any thread.
  void on_event(std::string_view subject, std::string_view data);

  /// Told of another instance's alert ({"type":"alert","alert":{..,"instance"}}) or of an
  /// acknowledgement of one ({"type":"ack","call","seq","acknowledged_by",
  /// "acknowledged_unix_ms"}), as the dashboard feed's messages; called on the subscriber's
  /// thread, outside the view's lock. Set before any message flows.
  void set_listener(std::function<void(const nlohmann::json& message)> listener) { listener_ = std::move(listener); }

  /// Another instance's alert as this view knows it: who holds it, and whether it is still
  /// open (not acknowledged).
  struct AlertHolder {
    std::string instance;
    bool open = true;
  };
  /// Several instances may show one call id (two legs of a call sent to two instances): the
  /// newest alert of that call and sequence is the one meant.
  std::optional<AlertHolder> alert_holder(const std::string& call, std::uint64_t sequence) const;
  /// Other instances' open alerts (newest first, at most `limit`), each with "instance".
  std::vector<nlohmann::json> open_alerts(std::size_t limit) const;

  /// Live calls other instances hold, each row with "instance". Any thread.
  std::vector<nlohmann::json> rows();
  /// Their ended calls (each with "instance"), and the live calls of lost instances
  /// ("verdict": "lost with instance X"), newest first. Any thread.
  std::vector<nlohmann::json> recent();
  /// The live instance that lists `call` among its live calls (else its ended ones), for
  /// a call view of it; nothing when none does. Any thread.
  std::optional<std::string> holder_of(const std::string& call);
  /// Every instance heard from: {"instance","last_heard_unix_ms","lost","calls"}. Any thread.
  nlohmann::json instances();

  std::uint64_t malformed() const;

 private:
  struct Instance {
    double last_heard_s = 0.0;
    std::int64_t last_heard_unix_ms = 0;
    bool lost = false;
    std::vector<nlohmann::json> rows;
    std::vector<nlohmann::json> recent;
  };
  // Moves the rows of instances gone quiet into lost_ (under the lock).
  void sweep();
  Instance& heard(const std::string& instance, std::int64_t unix_ms);

  const FleetViewConfig config_;
  mutable std::mutex mutex_;
  std::map<std::string, Instance> instances_;
  std::deque<nlohmann::json> lost_;  // newest first
  std::uint64_t malformed_ = 0;
  // Other instances' alerts by (call, seq), in arrival order for the bound.
  struct RemoteAlert {
    nlohmann::json alert;  // the event, with "instance", "raised_unix_ms", acknowledgement fields
    bool open = true;
  };
  // Keyed by instance, call and sequence: a call id seen by two instances, or again after a
  // restart, keeps its alerts apart.
  using AlertKey = std::tuple<std::string, std::string, std::uint64_t>;
  std::map<AlertKey, RemoteAlert> alerts_;
  std::deque<AlertKey> alert_order_;
  std::function<void(const nlohmann::json&)> listener_;
};

}  // namespace tw::server
