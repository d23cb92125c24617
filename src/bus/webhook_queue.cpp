#include "bus/webhook_queue.h"

#include <pthread.h>

#include <stdexcept>
#include <utility>

#include <nats/nats.h>

#include "bus/bus_subjects.h"
#include "bus/event_stream.h"

namespace tw::bus {

WebhookQueue::WebhookQueue(WebhookQueueConfig config) : config_(std::move(config)) {
  if (!config_.handle) throw std::invalid_argument("bus: the webhook queue needs a handler");
  if (config_.ack_wait < std::chrono::seconds(3)) throw std::invalid_argument("bus: the webhook queue's ack_wait must be at least 3 s");
}

WebhookQueue::~WebhookQueue() { stop(); }

void WebhookQueue::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-bus-hooks");
    run();
  });
}

void WebhookQueue::stop() {
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void WebhookQueue::run() {
  natsConnection* connection = nullptr;
  try {
    connection = open_connection(config_.endpoint, state_);
  } catch (const std::exception& e) {
    if (config_.log) config_.log("bus_webhook_error", std::string("webhook delivery from the bus cannot start: ") + e.what());
    return;
  }
  jsCtx* jetstream = nullptr;
  natsSubscription* subscription = nullptr;
  auto log = [this](std::string_view event, const std::string& message) {
    if (config_.log) config_.log(event, message);
  };
  auto pause = [this](std::chrono::milliseconds time) {
    const auto until = std::chrono::steady_clock::now() + time;
    while (!stopping() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  std::string last_problem;
  while (!stopping()) {
    if (subscription == nullptr) {
      // The stream and the shared consumer, once the bus is there.
      std::string problem;
      if (jetstream == nullptr && natsConnection_JetStream(&jetstream, connection, nullptr) != NATS_OK) problem = "no JetStream context";
      bool created = false;
      if (problem.empty()) problem = ensure_event_stream(jetstream, config_.event_max_age, config_.stream_replicas, created);
      const std::string stream(kEventStream), filter(kNotifyEvents);
      if (problem.empty()) {
        // The consumer is made here, not by the subscription: nats.c deletes a consumer its
        // subscription made when that subscription goes, and this one is the fleet's, to
        // outlive any instance. Made by the first instance, from the events that come
        // after it (not the stream's day of history); the others find it where it stands.
        jsConsumerConfig consumer;
        jsConsumerConfig_Init(&consumer);
        consumer.Durable = config_.durable.c_str();
        consumer.FilterSubject = filter.c_str();
        consumer.AckPolicy = js_AckExplicit;
        consumer.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.ack_wait).count();
        consumer.MaxAckPending = 1;
        // From a minute before it is made: the alerts a first instance published just before
        // (its publisher may reach the bus first) are in, the stream's day of history is not.
        consumer.DeliverPolicy = js_DeliverByStartTime;
        consumer.OptStartTime = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    (std::chrono::system_clock::now() - std::chrono::minutes(1)).time_since_epoch())
                                    .count();
        jsConsumerInfo* info = nullptr;
        jsErrCode error = static_cast<jsErrCode>(0);
        if (js_GetConsumerInfo(&info, jetstream, stream.c_str(), config_.durable.c_str(), nullptr, &error) != NATS_OK) {
          const natsStatus added = js_AddConsumer(&info, jetstream, stream.c_str(), &consumer, nullptr, &error);
          if (added != NATS_OK) problem = "the consumer " + config_.durable + ": " + last_error_text(added);
          else log("bus_webhooks_consumer_created", "created the fleet's webhook consumer " + config_.durable);
        }
        jsConsumerInfo_Destroy(info);
      }
      if (problem.empty()) {
        jsSubOptions options;
        jsSubOptions_Init(&options);
        options.Stream = stream.c_str();
        options.Consumer = config_.durable.c_str();  // bind to it
        jsErrCode error = static_cast<jsErrCode>(0);
        const natsStatus status =
            js_PullSubscribe(&subscription, jetstream, filter.c_str(), config_.durable.c_str(), nullptr, &options, &error);
        if (status != NATS_OK) {
          subscription = nullptr;
          problem = "the consumer " + config_.durable + ": " + last_error_text(status) +
                    (error != 0 ? " (JetStream error " + std::to_string(static_cast<int>(error)) + ")" : "");
        }
      }
      if (!problem.empty()) {
        if (problem != last_problem) log("bus_webhooks_waiting", "webhook delivery from the bus waits: " + problem);
        last_problem = problem;
        pause(std::chrono::seconds(1));
        continue;
      }
      if (!last_problem.empty()) log("bus_webhooks_ready", "webhook delivery from the bus resumed");
      last_problem.clear();
    }
    natsMsgList list{};
    jsErrCode error = static_cast<jsErrCode>(0);
    const natsStatus status = natsSubscription_Fetch(&list, subscription, 1, 1000, &error);
    if (status == NATS_TIMEOUT) continue;
    if (status != NATS_OK) {
      // The consumer or the stream went away (an operator, a lost bus): bind or make it again.
      natsMsgList_Destroy(&list);
      natsSubscription_Destroy(subscription);
      subscription = nullptr;
      pause(std::chrono::milliseconds(500));
      continue;
    }
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* message = list.Msgs[i];
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, message) == NATS_OK && meta != nullptr && meta->NumDelivered > 1)
        stats_.redelivered.fetch_add(1, std::memory_order_relaxed);
      jsMsgMetaData_Destroy(meta);
      const std::string_view data(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message)));
      bool done = false;
      try {
        done = config_.handle(data, [message] { natsMsg_InProgress(message, nullptr); }, [this] { return stopping(); });
      } catch (const std::exception& e) {
        log("bus_webhook_error", std::string("delivering an event from the bus failed: ") + e.what());
      }
      if (done) {
        // Acknowledged and confirmed, so that a lost acknowledgement cannot hand it to
        // another instance as well.
        natsMsg_AckSync(message, nullptr, nullptr);
        stats_.handled.fetch_add(1, std::memory_order_relaxed);
      } else {
        natsMsg_Nak(message, nullptr);
        stats_.returned.fetch_add(1, std::memory_order_relaxed);
      }
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Destroy(subscription);
  jsCtx_Destroy(jetstream);
  close_connection(connection, state_);
}

}  // namespace tw::bus
