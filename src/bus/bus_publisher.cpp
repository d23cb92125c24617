#include "bus/bus_publisher.h"

#include <pthread.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <nats/nats.h>
#include <nlohmann/json.hpp>

#include "alerts/event.h"
#include "bus/bus_connection.h"
#include "bus/event_stream.h"
#include "bus/bus_subjects.h"

namespace tw::bus {

namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The nats.c objects, used from the publisher's thread only (and start/stop).
struct BusPublisher::Connection {
  natsConnection* connection = nullptr;
  jsCtx* jetstream = nullptr;
  bool stream_ready = false;

  ConnectionState* state = nullptr;

  ~Connection() {
    jsCtx_Destroy(jetstream);
    close_connection(connection, *state);
  }
};

BusPublisher::BusPublisher(BusConfig config) : config_(std::move(config)), run_id_(std::to_string(unix_ms())) {
  if (config_.servers.empty()) throw std::invalid_argument("bus: no NATS server URL");
  for (const std::string& url : config_.servers)
    if (url.find("://") == std::string::npos)
      throw std::invalid_argument("bus: '" + url + "' is not a NATS URL (nats://host:port or tls://host:port)");
  if (!valid_instance_id(config_.instance_id))
    throw std::invalid_argument("bus: the instance id '" + config_.instance_id +
                                "' must be 1 to 64 letters, digits, '-' or '_'");
  if (config_.max_buffered == 0) throw std::invalid_argument("bus: max_buffered must be at least 1");
}

BusPublisher::~BusPublisher() { stop(); }

void BusPublisher::log(std::string_view event, std::string_view message) const {
  if (config_.log) config_.log(event, message);
}

void BusPublisher::start() {
  if (started_) throw std::logic_error("bus: start() called twice");
  auto c = std::make_unique<Connection>();
  c->state = &state_;
  c->connection = open_connection({config_.servers, "tonewatch " + config_.instance_id + " events", config_.creds_file,
                                   config_.tls_ca_file},
                                  state_);
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = config_.publish_timeout.count();
  if (const natsStatus status = natsConnection_JetStream(&c->jetstream, c->connection, &js_options); status != NATS_OK)
    throw std::runtime_error("bus: JetStream: " + last_error_text(status));
  connection_ = std::move(c);
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-bus");
    run();
  });
  log("bus_started", "publishing events to " + config_.servers.front() + " as instance " + config_.instance_id +
                         (state_.connected.load() ? "" : " (not connected yet: retrying in the background)"));
}

void BusPublisher::stop(std::chrono::milliseconds drain) {
  if (!started_) return;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    drain_until_ = std::chrono::steady_clock::now() + drain;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    const std::lock_guard lock(mutex_);
    stats_.dropped.fetch_add(buffer_.size(), std::memory_order_relaxed);
    buffer_.clear();
    stats_.buffered.store(0);
  }
  connection_.reset();
  state_.connected.store(false);
  started_ = false;
}

void BusPublisher::on_event(const alerts::Event& event) noexcept {
  try {
    const bool notify = event.kind == alerts::EventKind::alert || event.type == "alert_acknowledged";
    Pending pending{event_subject(config_.instance_id, event.call_id, notify), event_message_id(config_.instance_id, run_id_, event.call_id, event.sequence),
                    alerts::to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
    {
      const std::lock_guard lock(mutex_);
      if (buffer_.size() >= config_.max_buffered) {
        buffer_.pop_front();  // the oldest goes: the newest say most about calls still live
        stats_.dropped.fetch_add(1, std::memory_order_relaxed);
      }
      buffer_.push_back(std::move(pending));
      stats_.buffered.store(buffer_.size(), std::memory_order_relaxed);
    }
    wake_.notify_one();
  } catch (...) {
    stats_.dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

bool BusPublisher::send(const std::string& subject, const std::string& data) {
  if (!connection_) return false;
  return natsConnection_Publish(connection_->connection, subject.c_str(), data.data(), static_cast<int>(data.size())) == NATS_OK &&
         natsConnection_FlushTimeout(connection_->connection, 1000) == NATS_OK;
}

BusPublisher::Outcome BusPublisher::publish(const Pending& pending, std::string& why) {
  Connection& c = *connection_;
  jsErrCode error = static_cast<jsErrCode>(0);
  auto reason = [&error](natsStatus status) {
    std::string text = last_error_text(status);
    if (error != 0) text += " (JetStream error " + std::to_string(static_cast<int>(error)) + ")";
    return text;
  };
  // A message over the server's payload limit can never be stored: it is dropped and
  // counted rather than holding up every event behind it.
  const std::int64_t max_payload = natsConnection_GetMaxPayload(c.connection);
  if (max_payload > 0 && static_cast<std::int64_t>(pending.data.size()) > max_payload) {
    why = "an event of " + std::to_string(pending.data.size()) + " bytes is over the server's limit of " +
          std::to_string(max_payload);
    return Outcome::undeliverable;
  }
  if (!c.stream_ready) {
    bool created = false;
    if (const std::string problem = ensure_event_stream(c.jetstream, config_.event_max_age, config_.stream_replicas, created); !problem.empty()) {
      why = "the stream " + std::string(kEventStream) + ": " + problem;
      return Outcome::retry;
    }
    if (created) log("bus_stream_created", "created the JetStream stream " + std::string(kEventStream));
    c.stream_ready = true;
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = pending.message_id.c_str();
  const std::string stream(kEventStream);
  options.ExpectStream = stream.c_str();
  options.MaxWait = config_.publish_timeout.count();
  jsPubAck* ack = nullptr;
  const natsStatus status = js_Publish(&ack, c.jetstream, pending.subject.c_str(), pending.data.data(),
                                       static_cast<int>(pending.data.size()), &options, &error);
  if (status != NATS_OK) {
    jsPubAck_Destroy(ack);
    why = reason(status);
    // The stream gone (deleted by an operator) or JetStream away: find or make it again.
    if (status == NATS_NO_RESPONDERS || status == NATS_NOT_FOUND || error == JSStreamNotFoundErr) c.stream_ready = false;
    return status == NATS_MAX_PAYLOAD ? Outcome::undeliverable : Outcome::retry;
  }
  stats_.published.fetch_add(1, std::memory_order_relaxed);
  if (ack != nullptr && ack->Duplicate) stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
  jsPubAck_Destroy(ack);
  return Outcome::published;
}

void BusPublisher::each_second() {
  nlohmann::json beat = nlohmann::json::object();
  if (config_.heartbeat_fields) {
    nlohmann::json extra = config_.heartbeat_fields();
    if (extra.is_object()) beat = std::move(extra);
  }
  beat["instance"] = config_.instance_id;
  beat["ts_ms"] = unix_ms();
  beat["events_waiting"] = stats_.buffered.load(std::memory_order_relaxed);
  const std::string text = beat.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Core NATS, not JetStream: a heartbeat matters only while it is fresh.
  if (natsConnection_PublishString(connection_->connection, heartbeat_subject(config_.instance_id).c_str(), text.c_str()) == NATS_OK)
    stats_.heartbeats.fetch_add(1, std::memory_order_relaxed);
  if (config_.each_second)
    for (const auto& [subject, data] : config_.each_second())
      natsConnection_Publish(connection_->connection, subject.c_str(), data.data(), static_cast<int>(data.size()));
}

void BusPublisher::run() {
  using Clock = std::chrono::steady_clock;
  auto next_heartbeat = Clock::now();
  auto backoff = std::chrono::milliseconds(100);
  bool was_failing = false;
  auto failure_logged = Clock::time_point{};
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = Clock::now();
    if (stopping_ && (buffer_.empty() || now >= drain_until_)) break;
    if (now >= next_heartbeat) {
      lock.unlock();
      if (state_.connected.load()) each_second();
      lock.lock();
      next_heartbeat = now + config_.heartbeat_interval;
      continue;
    }
    if (buffer_.empty()) {
      wake_.wait_until(lock, next_heartbeat, [this] { return stopping_ || !buffer_.empty(); });
      continue;
    }
    // The oldest event is published while it stays in the buffer, so that order holds
    // and nothing is lost if the publish fails; the delivery thread appends meanwhile.
    const Pending pending = buffer_.front();
    lock.unlock();
    std::string why;
    const Outcome outcome = publish(pending, why);
    if (outcome == Outcome::undeliverable) log("bus_event_dropped", "event " + pending.message_id + " cannot be published: " + why);
    lock.lock();
    if (outcome != Outcome::retry) {
      // It may have been dropped meanwhile by a full buffer: pop it only if it is still first.
      if (!buffer_.empty() && buffer_.front().message_id == pending.message_id) buffer_.pop_front();
      if (outcome == Outcome::undeliverable) stats_.dropped.fetch_add(1, std::memory_order_relaxed);
      stats_.buffered.store(buffer_.size(), std::memory_order_relaxed);
      if (was_failing) {
        lock.unlock();
        log("bus_resumed", "publishing again; " + std::to_string(stats_.buffered.load()) + " event(s) still waiting");
        lock.lock();
      }
      was_failing = false;
      backoff = std::chrono::milliseconds(100);
      continue;
    }
    stats_.retries.fetch_add(1, std::memory_order_relaxed);
    // Said when it starts and then every 30 s while it lasts, with nats.c's reason (a
    // server away is the usual one; a permission or stream problem needs an operator).
    if (!was_failing || Clock::now() - failure_logged >= std::chrono::seconds(30)) {
      const std::size_t waiting = buffer_.size();
      lock.unlock();
      log("bus_unavailable", "cannot publish to the bus (" + why + "); events wait (" + std::to_string(waiting) +
                                 " now) and are retried");
      lock.lock();
      failure_logged = Clock::now();
    }
    was_failing = true;
    wake_.wait_for(lock, backoff, [this] { return stopping_ && Clock::now() >= drain_until_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace tw::bus
