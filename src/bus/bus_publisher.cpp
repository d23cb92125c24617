#include "bus/bus_publisher.h"

#include <pthread.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <nats/nats.h>
#include <nlohmann/json.hpp>

#include "alerts/event.h"
#include "bus/bus_subjects.h"

namespace tw::bus {

namespace {

std::string status_text(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  // The last error's detail (a file that cannot be read, the server's answer) when it has one.
  if (const char* detail = nats_GetLastError(nullptr); detail != nullptr && *detail != '\0') text += ": " + std::string(detail);
  return text;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The nats.c objects. The connection and the JetStream context are used from the
// publisher's thread only; nats.c's callbacks (its own threads) touch the stats' atomics.
struct BusPublisher::Connection {
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* jetstream = nullptr;
  bool stream_ready = false;

  ~Connection() {
    jsCtx_Destroy(jetstream);
    if (connection != nullptr) {
      natsConnection_Close(connection);
      natsConnection_Destroy(connection);
    }
    natsOptions_Destroy(options);
  }
};

namespace {

// nats.c's connection callbacks (its own thread): the closure is the publisher's stats.
void on_disconnected(natsConnection*, void* closure) {
  auto* stats = static_cast<BusStats*>(closure);
  if (stats->connected.exchange(false)) stats->disconnects.fetch_add(1, std::memory_order_relaxed);
}

void on_connected(natsConnection*, void* closure) { static_cast<BusStats*>(closure)->connected.store(true); }

}  // namespace

BusPublisher::BusPublisher(BusConfig config) : config_(std::move(config)) {
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
  auto check = [](natsStatus status, const std::string& what) {
    if (status != NATS_OK) throw std::runtime_error("bus: " + what + ": " + status_text(status));
  };
  check(natsOptions_Create(&c->options), "natsOptions_Create");
  std::vector<const char*> urls;
  for (const std::string& url : config_.servers) urls.push_back(url.c_str());
  check(natsOptions_SetServers(c->options, urls.data(), static_cast<int>(urls.size())), "the server URLs");
  check(natsOptions_SetName(c->options, ("tonewatch " + config_.instance_id).c_str()), "natsOptions_SetName");
  if (!config_.creds_file.empty())
    check(natsOptions_SetUserCredentialsFromFiles(c->options, config_.creds_file.c_str(), nullptr),
          "the credentials file " + config_.creds_file);
  if (!config_.tls_ca_file.empty()) {
    check(natsOptions_SetSecure(c->options, true), "TLS");
    check(natsOptions_LoadCATrustedCertificates(c->options, config_.tls_ca_file.c_str()), "the CA file " + config_.tls_ca_file);
  }
  // Reconnect for ever, soon: an instance outlives any outage of the bus (issue 25, "The
  // bus lost"); what waits meanwhile is our buffer, so nats.c's own is kept small.
  natsOptions_SetMaxReconnect(c->options, -1);
  natsOptions_SetReconnectWait(c->options, 500);
  natsOptions_SetTimeout(c->options, 2000);
  natsOptions_SetReconnectBufSize(c->options, 1 << 20);
  natsOptions_SetDisconnectedCB(c->options, on_disconnected, &stats_);
  natsOptions_SetReconnectedCB(c->options, on_connected, &stats_);
  natsOptions_SetRetryOnFailedConnect(c->options, true, on_connected, &stats_);
  const natsStatus status = natsConnection_Connect(&c->connection, c->options);
  if (status == NATS_OK) {
    stats_.connected.store(true);
  } else if (status != NATS_NOT_YET_CONNECTED) {
    throw std::runtime_error("bus: cannot connect to " + config_.servers.front() + ": " + status_text(status));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = config_.publish_timeout.count();
  check(natsConnection_JetStream(&c->jetstream, c->connection, &js_options), "JetStream");
  connection_ = std::move(c);
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-bus");
    run();
  });
  log("bus_started", "publishing events to " + config_.servers.front() + " as instance " + config_.instance_id +
                         (stats_.connected.load() ? "" : " (not connected yet: retrying in the background)"));
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
  stats_.connected.store(false);
  started_ = false;
}

void BusPublisher::on_event(const alerts::Event& event) noexcept {
  try {
    Pending pending{event_subject(config_.instance_id, event.call_id), event_message_id(event.call_id, event.sequence),
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

bool BusPublisher::publish(const Pending& pending) {
  Connection& c = *connection_;
  jsErrCode error = static_cast<jsErrCode>(0);
  if (!c.stream_ready) {
    // The stream is made by the first instance that needs it and found by the others
    // (js_AddStream of an existing stream with another configuration would fail).
    jsStreamInfo* info = nullptr;
    natsStatus status = js_GetStreamInfo(&info, c.jetstream, std::string(kEventStream).c_str(), nullptr, &error);
    if (status == NATS_NOT_FOUND) {
      jsStreamConfig stream;
      jsStreamConfig_Init(&stream);
      const std::string name(kEventStream), subjects(kEventSubjects);
      const char* subject_list[] = {subjects.c_str()};
      stream.Name = name.c_str();
      stream.Subjects = subject_list;
      stream.SubjectsLen = 1;
      stream.Storage = js_FileStorage;
      stream.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.event_max_age).count();
      stream.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::minutes(10)).count();
      status = js_AddStream(&info, c.jetstream, &stream, nullptr, &error);
      if (status == NATS_OK) log("bus_stream_created", "created the JetStream stream " + name);
    }
    jsStreamInfo_Destroy(info);
    if (status != NATS_OK) return false;
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
    return false;
  }
  stats_.published.fetch_add(1, std::memory_order_relaxed);
  if (ack != nullptr && ack->Duplicate) stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
  jsPubAck_Destroy(ack);
  return true;
}

void BusPublisher::heartbeat() {
  nlohmann::json beat = nlohmann::json::object();
  if (config_.heartbeat_fields) {
    const nlohmann::json extra = nlohmann::json::parse(config_.heartbeat_fields(), nullptr, false);
    if (extra.is_object()) beat = extra;
  }
  beat["instance"] = config_.instance_id;
  beat["ts_ms"] = unix_ms();
  beat["events_waiting"] = stats_.buffered.load(std::memory_order_relaxed);
  const std::string text = beat.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Core NATS, not JetStream: a heartbeat matters only while it is fresh.
  if (natsConnection_PublishString(connection_->connection, heartbeat_subject(config_.instance_id).c_str(), text.c_str()) == NATS_OK)
    stats_.heartbeats.fetch_add(1, std::memory_order_relaxed);
}

void BusPublisher::run() {
  using Clock = std::chrono::steady_clock;
  auto next_heartbeat = Clock::now();
  auto backoff = std::chrono::milliseconds(100);
  bool was_failing = false;
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = Clock::now();
    if (stopping_ && (buffer_.empty() || now >= drain_until_)) break;
    if (now >= next_heartbeat) {
      lock.unlock();
      if (stats_.connected.load()) heartbeat();
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
    const bool ok = publish(pending);
    lock.lock();
    if (ok) {
      // It may have been dropped meanwhile by a full buffer: pop it only if it is still first.
      if (!buffer_.empty() && buffer_.front().message_id == pending.message_id) buffer_.pop_front();
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
    if (!was_failing) {
      const std::size_t waiting = buffer_.size();
      lock.unlock();
      log("bus_unavailable", "cannot publish to the bus; events wait (" + std::to_string(waiting) + " now) and are retried");
      lock.lock();
    }
    was_failing = true;
    wake_.wait_for(lock, backoff, [this] { return stopping_ && Clock::now() >= drain_until_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace tw::bus
