#pragma once
// Where the live server's events go once they have left the analysis threads
// (through alerts::AsyncEventSink, on its delivery thread): JSON lines on stdout,
// the /events feed's subscribers, webhooks, the metrics, and the list of alerts a
// supervisor can acknowledge. An acknowledgement is itself an event and goes out
// the same ways.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "server/metrics.h"

namespace tw::server {

/// A supervisor alert and what became of it.
struct AlertRecord {
  alerts::Event event;
  std::int64_t raised_unix_ms = 0;
  std::string acknowledged_by;       ///< empty while open
  std::int64_t acknowledged_unix_ms = 0;
  /// The call ended with the alert unacknowledged: it stays in the history and can
  /// still be acknowledged, but is no longer counted open (the wallboard's figure).
  bool call_ended = false;
};

class EventHub final : public alerts::EventSink {
 public:
  /// A subscriber gets each event with its JSON line (no newline). Called on the
  /// delivering thread: it must only copy and hand off.
  using Subscriber = std::function<void(const alerts::Event& event, const std::string& line)>;

  /// `lines`, if not null, gets every event as a JSON line (stdout for programs).
  EventHub(Metrics& metrics, std::ostream* lines);

  void on_event(const alerts::Event& event) override;

  /// Adds downstream sinks (webhooks): they get every event, in order, on this thread.
  void add_sink(alerts::EventSink& sink);
  int subscribe(Subscriber subscriber);
  void unsubscribe(int id);
  /// Drops every subscriber (shutdown: what they hold goes before the sockets' event loop).
  void clear_subscribers();

  /// Marks an alert acknowledged by `user` and sends an `alert_acknowledged` event
  /// for it. Returns the acknowledgement, or nullopt if there is no such open alert.
  std::optional<alerts::Event> acknowledge(const std::string& call_id, std::uint64_t sequence, const std::string& user);
  /// Why acknowledge() gave nothing: no such alert (404) or already acknowledged (409).
  bool acknowledged_already(const std::string& call_id, std::uint64_t sequence) const;
  /// Where an acknowledgement's own sequence number comes from (the call's event
  /// counter: CallRegistry::next_sequence), so that it is unique among the call's events.
  void set_sequencer(std::function<std::uint64_t(const std::string& call_id)> sequencer) { sequencer_ = std::move(sequencer); }
  /// The call has ended: its open alerts close with it (AlertRecord::call_ended).
  /// Events reach on_event through a queue (alerts::AsyncEventSink) while this is
  /// called by the worker that finished the call, so the call's last alerts can
  /// arrive after it: they are recorded closed too, and open no episode.
  void call_ended(const std::string& call_id);

  /// Alerts, newest first; only open ones if `open_only`.
  std::vector<AlertRecord> alerts(bool open_only) const;
  /// Open alerts and episodes of one call (for the wallboard): types of episodes open now.
  std::vector<std::string> open_episodes(const std::string& call_id) const;
  std::size_t open_alert_count(const std::string& call_id) const;
  /// Each call's alerts nobody acknowledged, open or closed with the call, oldest first
  /// (an ended call's row offers to acknowledge them), in one pass.
  std::map<std::string, std::vector<std::uint64_t>> unacknowledged() const;
  /// Open alerts per call, in one pass (the wallboard's once-a-second rows).
  std::map<std::string, std::size_t> open_alert_counts() const;

 private:
  void dispatch(const alerts::Event& event);  // under delivery_mutex_

  Metrics& metrics_;
  std::ostream* lines_;
  std::function<std::uint64_t(const std::string&)> sequencer_;
  std::mutex delivery_mutex_;  // one event at a time to every downstream, in order
  std::vector<alerts::EventSink*> sinks_;
  std::map<int, Subscriber> subscribers_;
  int next_subscriber_ = 1;

  mutable std::mutex state_mutex_;
  std::deque<AlertRecord> alerts_;                                // newest last, bounded
  std::map<std::string, std::map<std::string, double>> episodes_;  // call -> open episode type -> since
  std::unordered_set<std::string> ended_calls_;                    // the last kMaxEndedCalls calls ended
  std::deque<std::string> ended_order_;                            // ... oldest first
};

}  // namespace tw::server
