#include "server/call_registry.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace tw::server {

CallRegistry::CallRegistry(const CallSettings& settings, alerts::EventSink& events, WorkerPool& workers,
                           Metrics& metrics, std::size_t max_calls, double recent_s)
    : settings_(settings),
      events_(events),
      workers_(workers),
      metrics_(metrics),
      max_calls_(max_calls),
      recent_s_(recent_s),
      active_gauge_(metrics.gauge("tonewatch_active_calls", "Calls in progress")) {}

std::string CallRegistry::safe_id(const std::string& key) {
  std::string id;
  for (char c : key) {
    if (id.size() >= 96) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    id += ok ? c : '_';
  }
  if (id.empty() || id == "." || id == "..") id = "call" + id;
  if (id.front() == '.') id.front() = '_';  // never a hidden file
  return id;
}

std::string CallRegistry::unique_id(const std::string& key) const {
  const std::string base = safe_id(key);
  auto taken = [&](const std::string& id) {
    if (by_id_.count(id) != 0) return true;
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::path(settings_.output.dir) / (id + ".summary.json"), ec);
  };
  if (!taken(base)) return base;
  for (int n = 2;; ++n) {
    const std::string id = base + "-" + std::to_string(n);
    if (!taken(id)) return id;
  }
}

LegHandle CallRegistry::open_leg(const std::string& protocol, const std::string& key, const nlohmann::json& metadata,
                                 const std::vector<pipeline::LiveTrack>& tracks, bool complete) {
  LegHandle handle;
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) {
    handle.error = "server is shutting down";
    return handle;
  }
  const std::string full_key = protocol + ":" + key;
  if (auto it = by_key_.find(full_key); it != by_key_.end()) {
    const int first = it->second->add_tracks(tracks, complete);
    if (first >= 0) {
      count_metadata_cut(protocol, it->second->add_metadata(metadata));
      handle.call = it->second;
      handle.first_leg = first;
      metrics_.counter("tonewatch_legs_total", "Connections joined to calls", label("outcome", "joined")).add();
      return handle;
    }
    // The call already has this party (a second leg for a role that is taken).
    handle.error = "call " + key + " already has this party";
    metrics_.counter("tonewatch_legs_total", "Connections joined to calls", label("outcome", "refused")).add();
    return handle;
  }
  if (max_calls_ > 0 && by_id_.size() >= max_calls_) {
    handle.error = "too many calls (--max-calls " + std::to_string(max_calls_) + ")";
    metrics_.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "max_calls")).add();
    return handle;
  }
  nlohmann::json first_metadata = metadata.is_object() ? metadata : nlohmann::json::object();
  first_metadata["platform_call_id"] = key;  // ahead of the platform's own keys (CallMetadata)
  auto call = std::make_shared<LiveCall>(unique_id(key), protocol, first_metadata, settings_, events_);
  count_metadata_cut(protocol, call->metadata_cut());
  const int first = call->add_tracks(tracks, complete);
  if (first < 0) {
    handle.error = "a stream carries at most two channels, one caller and one agent";
    return handle;
  }
  if (!workers_.add(call)) {
    handle.error = "analysis queue full";
    metrics_.counter("tonewatch_rejected_connections_total", "Connections refused", label("reason", "queue_full")).add();
    return handle;
  }
  by_key_[full_key] = call;
  by_id_[call->call_id()] = call;
  {
    // One line per call start: id, protocol, remote address, roles, format.
    nlohmann::json roles = nlohmann::json::array();
    for (const pipeline::LiveTrack& t : tracks) {
      for (features::SpeakerRole r : t.roles) roles.push_back(std::string(features::to_string(r)));
    }
    const std::string remote = metadata.is_object() ? metadata.value("remote", std::string()) : std::string();
    const std::string format = metadata.is_object() && metadata.contains("format") && metadata["format"].is_string()
                                   ? metadata["format"].get<std::string>()
                                   : (tracks.empty() ? std::string() : std::to_string(tracks[0].sample_rate_hz) + " Hz");
    std::string role_text;
    for (const auto& r : roles) role_text += (role_text.empty() ? "" : ",") + r.get<std::string>();
    log_.write("call_started",
               "call " + call->call_id() + " started: protocol=" + protocol + " remote=" + remote + " roles=" + role_text +
                   " format=" + format,
               {{"call", call->call_id()}, {"platform_call_id", key}, {"protocol", protocol}, {"remote", remote},
                {"roles", roles}, {"format", format}});
  }
  active_gauge_.set(static_cast<double>(by_id_.size()));
  metrics_.counter("tonewatch_calls_total", "Calls started, by protocol", label("protocol", protocol)).add();
  metrics_.counter("tonewatch_legs_total", "Connections joined to calls", label("outcome", "opened")).add();
  handle.call = std::move(call);
  handle.first_leg = first;
  return handle;
}

void CallRegistry::count_metadata_cut(const std::string& protocol, std::size_t cut) {
  if (cut == 0) return;
  metrics_.counter("tonewatch_metadata_cut_total", "Metadata values cut or left out to keep a call's metadata within its limits",
                   label("protocol", protocol))
      .add(cut);
}

void CallRegistry::on_finished(const std::shared_ptr<LiveCall>& call) {
  const CallStatus status = call->status();
  const std::int64_t now = steady_now_ns();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    it = it->second == call ? by_key_.erase(it) : std::next(it);
  }
  by_id_.erase(call->call_id());
  active_gauge_.set(static_cast<double>(by_id_.size()));
  metrics_
      .counter("tonewatch_calls_ended_total", "Calls ended, by protocol and outcome",
               label("protocol", status.protocol) + "," + label("outcome", status.error.empty() ? "analysed" : "failed"))
      .add();
  const LiveCallCounters c = call->counters();
  publish_counters(call->call_id(), c);
  published_.erase(call->call_id());
  {
    // One line per call end: duration, alerts, dropped and missing frames, where its outputs are.
    const int alerts = status.alerts;
    const std::uint64_t dropped = c.overflowed_frames + c.late_dropped_frames;
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.2f", status.duration_s);
    const std::string outcome = status.error.empty() ? "analysed" : "failed";
    log_.write("call_ended",
               "call " + call->call_id() + " ended: duration_s=" + duration + " alerts=" + std::to_string(alerts) +
                   " dropped_frames=" + std::to_string(dropped) + " missing_frames=" + std::to_string(c.lost_frames) +
                   " paused_frames=" + std::to_string(c.paused_frames) + " outcome=" + outcome +
                   (status.error.empty() ? " report=" + status.report_path : " error=" + status.error),
               {{"call", call->call_id()}, {"protocol", status.protocol}, {"duration_s", status.duration_s},
                {"alerts", alerts}, {"dropped_frames", dropped}, {"missing_frames", c.lost_frames},
                {"paused_frames", c.paused_frames}, {"outcome", outcome}, {"report", status.report_path},
                {"error", status.error}});
  }
  recent_.emplace_back(now, status);
  recent_sequences_[call->call_id()] = call->sequence();
  while (!recent_.empty() && (static_cast<double>(now - recent_.front().first) * 1e-9 > recent_s_ || recent_.size() > 1000)) {
    recent_sequences_.erase(recent_.front().second.call_id);
    recent_.pop_front();
  }
}

void CallRegistry::publish_counters(const std::string& call_id, const LiveCallCounters& now) {
  LiveCallCounters& was = published_[call_id];
  auto add = [](Counter& counter, std::uint64_t value, std::uint64_t& seen) {
    if (value > seen) counter.add(value - seen);
    seen = std::max(seen, value);
  };
  add(metrics_.counter("tonewatch_dropped_frames_total", "Frames lost in the server, by cause", label("cause", "ring_overflow")),
      now.overflowed_frames, was.overflowed_frames);
  add(metrics_.counter("tonewatch_dropped_frames_total", "Frames lost in the server, by cause", label("cause", "late_leg")),
      now.late_dropped_frames, was.late_dropped_frames);
  add(metrics_.counter("tonewatch_stall_fill_frames_total", "Analysis-rate frames of silence put in for a stalled leg"),
      now.stall_fill_frames, was.stall_fill_frames);
}

void CallRegistry::publish_live_counters() {
  std::vector<std::shared_ptr<LiveCall>> calls;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, call] : by_id_) calls.push_back(call);
  }
  std::vector<std::pair<std::string, LiveCallCounters>> now;
  for (const auto& call : calls) now.emplace_back(call->call_id(), call->counters());
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, counters] : now) {
    if (by_id_.count(id) != 0) publish_counters(id, counters);  // (an ended call's were published at its end)
  }
}

std::uint64_t CallRegistry::next_sequence(const std::string& call_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<std::atomic<std::uint64_t>> counter;
  if (auto it = by_id_.find(call_id); it != by_id_.end()) {
    counter = it->second->sequence();
  } else if (auto r = recent_sequences_.find(call_id); r != recent_sequences_.end()) {
    counter = r->second;
  }
  return counter ? counter->fetch_add(1, std::memory_order_relaxed) + 1 : 0;
}

void CallRegistry::close() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
}

std::vector<CallStatus> CallRegistry::active() const {
  std::vector<std::shared_ptr<LiveCall>> calls;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, call] : by_id_) calls.push_back(call);
  }
  std::vector<CallStatus> out;
  for (const auto& c : calls) out.push_back(c->status());
  return out;
}

std::vector<CallStatus> CallRegistry::recent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<CallStatus> out;
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) out.push_back(it->second);
  return out;
}

bool CallRegistry::find(const std::string& call_id, CallStatus& out) const {
  std::shared_ptr<LiveCall> call;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = by_id_.find(call_id); it != by_id_.end()) {
      call = it->second;
    } else {
      for (auto r = recent_.rbegin(); r != recent_.rend(); ++r) {
        if (r->second.call_id == call_id) {
          out = r->second;
          return true;
        }
      }
      return false;
    }
  }
  out = call->status();
  return true;
}

std::shared_ptr<const LiveCall> CallRegistry::live(const std::string& call_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_id_.find(call_id);
  return it == by_id_.end() ? nullptr : it->second;
}

bool CallRegistry::add_metadata(const std::string& call_id, const nlohmann::json& metadata) {
  std::shared_ptr<LiveCall> call;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = by_id_.find(call_id);
    if (it == by_id_.end()) return false;
    call = it->second;
  }
  call->add_metadata(metadata);
  return true;
}

CallRegistry::StreamRequest CallRegistry::request_streams(const std::string& call_id, const std::string& request) const {
  const std::shared_ptr<const LiveCall> call = live(call_id);
  if (!call) return StreamRequest::no_such_call;
  return call->request_streams(request) ? StreamRequest::sent : StreamRequest::not_supported;
}

std::size_t CallRegistry::active_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_id_.size();
}

}  // namespace tw::server
