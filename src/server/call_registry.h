#pragma once
// Which live calls exist: legs arriving on connections are joined into calls by
// the platform's call key (Twilio callSid, AudioSocket UUID, generic call_id,
// AudioHook conversationId), new calls are handed to the workers, the limit on
// concurrent calls is kept, and calls that ended stay listed for a while.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/live_call.h"
#include "server/server_log.h"
#include "server/metrics.h"
#include "server/worker_pool.h"

namespace tw::server {

/// A connection's place in a call: the call and the index of its first leg.
struct LegHandle {
  std::shared_ptr<LiveCall> call;
  int first_leg = -1;
  std::string error;  ///< why the leg was refused (then call is null)
};

class CallRegistry {
 public:
  /// `max_calls` 0 means no limit. `recent_s`: how long ended calls stay listed.
  CallRegistry(const CallSettings& settings, alerts::EventSink& events, WorkerPool& workers, Metrics& metrics,
               std::size_t max_calls, double recent_s = 4 * 3600.0);

  /// Joins or opens a call for a connection's tracks. `key` is the platform's call
  /// id; `complete` says no other leg will come. Thread-safe (not for per-packet use).
  /// Where a line goes for each call started and ended (ServerLog). Before any leg.
  void set_log(const ServerLog& log) { log_ = log; }
  /// Adds what active calls have dropped or filled since the last time to the
  /// metrics (tonewatch_dropped_frames_total, tonewatch_stall_fill_frames_total), so a
  /// scrape sees them while the calls run. Any thread (before rendering /metrics).
  void publish_live_counters();

  /// The next sequence number of a call's events (for an acknowledgement), in
  /// progress or recently ended; 0 if the call is unknown.
  std::uint64_t next_sequence(const std::string& call_id);

  LegHandle open_leg(const std::string& protocol, const std::string& key, const nlohmann::json& metadata,
                     const std::vector<pipeline::LiveTrack>& tracks, bool complete);

  /// The finisher's report that a call is written: it moves to the recent list.
  void on_finished(const std::shared_ptr<LiveCall>& call);
  /// Stops accepting legs (shutdown).
  void close() noexcept;

  std::vector<CallStatus> active() const;
  std::vector<CallStatus> recent() const;
  /// A call by its id, live or recent; false if unknown.
  bool find(const std::string& call_id, CallStatus& out) const;
  std::size_t active_count() const;
  /// A call in progress by its id (its timeline so far), or null if none is live.
  std::shared_ptr<const LiveCall> live(const std::string& call_id) const;
  /// Merges `metadata` into a call in progress (LiveCall::add_metadata): what the server
  /// learns of it later, such as its other party streaming to another instance. False if
  /// no such call is live.
  bool add_metadata(const std::string& call_id, const nlohmann::json& metadata);
  /// Asks a call in progress to "pause" or "resume" its streams (LiveCall::request_streams).
  enum class StreamRequest { sent, no_such_call, not_supported };
  StreamRequest request_streams(const std::string& call_id, const std::string& request) const;

  /// A platform call id made into a file name: [A-Za-z0-9._-] kept, anything else
  /// '_', at most 96 characters, never empty, "." or "..".
  static std::string safe_id(const std::string& key);

 private:
  std::string unique_id(const std::string& key) const;  // under mutex_
  void count_metadata_cut(const std::string& protocol, std::size_t cut);

  const CallSettings& settings_;
  alerts::EventSink& events_;
  WorkerPool& workers_;
  Metrics& metrics_;
  const std::size_t max_calls_;
  const double recent_s_;
  // Adds `now` less what was published for the call before; under mutex_.
  void publish_counters(const std::string& call_id, const LiveCallCounters& now);
  ServerLog log_;
  std::map<std::string, std::shared_ptr<std::atomic<std::uint64_t>>> recent_sequences_;  // ended calls still listed
  std::map<std::string, LiveCallCounters> published_;  // call id -> counters already in the metrics
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::map<std::string, std::shared_ptr<LiveCall>> by_key_;   // "<protocol>:<key>" -> call, while it takes legs
  std::map<std::string, std::shared_ptr<LiveCall>> by_id_;    // output id -> live call
  std::deque<std::pair<std::int64_t, CallStatus>> recent_;    // (ended at, steady ns), oldest first
  Gauge& active_gauge_;
};

}  // namespace tw::server
