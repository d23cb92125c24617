#include "bus/bus_subscriber.h"

#include <chrono>
#include <future>
#include <stdexcept>

#include <nats/nats.h>

namespace tw::bus {

struct BusSubscriber::Subscription {
  std::function<void(natsMsg*)> handler;
  natsSubscription* subscription = nullptr;
  // Set by nats.c once the subscription is closed and its handler has returned for good.
  std::promise<void> complete;
};

namespace {

void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* closure) {
  auto* subscription = static_cast<BusSubscriber::Subscription*>(closure);
  try {
    subscription->handler(message);
  } catch (...) {
    // A handler's failure is its own (it counts what it could not take); nats.c's thread goes on.
  }
  natsMsg_Destroy(message);
}

void on_complete(void* closure) { static_cast<BusSubscriber::Subscription*>(closure)->complete.set_value(); }

}  // namespace

BusSubscriber::BusSubscriber(const BusEndpoint& endpoint) : connection_(open_connection(endpoint, state_)) {}

BusSubscriber::~BusSubscriber() {
  // A handler may be running on nats.c's thread while this runs: unsubscribe, then wait
  // for nats.c to say the handler has returned for good (natsSubscription_SetOnCompleteCB)
  // before its closure and what it captured go.
  for (const auto& s : subscriptions_) {
    std::future<void> done = s->complete.get_future();
    if (natsSubscription_Unsubscribe(s->subscription) == NATS_OK) done.wait_for(std::chrono::seconds(5));
  }
  close_connection(connection_, state_);
  for (const auto& s : subscriptions_) natsSubscription_Destroy(s->subscription);
}

std::int64_t BusSubscriber::max_payload() const { return natsConnection_GetMaxPayload(connection_); }

void BusSubscriber::answer(const std::string& subject, Answer answer) {
  natsConnection* connection = connection_;
  // A request's reply subject is only known per message: the plain handler is given the
  // subject and data, so the reply subject travels beside it in a wrapper of our own.
  subscribe_raw(subject, [connection, answer = std::move(answer)](natsMsg* message) {
    const char* reply = natsMsg_GetReply(message);
    if (reply == nullptr || *reply == '\0') return;
    const std::string text =
        answer(std::string_view(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message))));
    natsConnection_Publish(connection, reply, text.data(), static_cast<int>(text.size()));
  });
}

void BusSubscriber::subscribe(const std::string& subject, Handler handler) {
  subscribe_raw(subject, [handler = std::move(handler)](natsMsg* message) {
    handler(natsMsg_GetSubject(message),
            std::string_view(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message))));
  });
}

void BusSubscriber::subscribe_raw(const std::string& subject, std::function<void(__natsMsg*)> handler) {
  auto s = std::make_unique<Subscription>();
  s->handler = std::move(handler);
  const natsStatus status = natsConnection_Subscribe(&s->subscription, connection_, subject.c_str(), on_message, s.get());
  if (status != NATS_OK) throw std::runtime_error("bus: cannot subscribe to " + subject + ": " + last_error_text(status));
  natsSubscription_SetOnCompleteCB(s->subscription, on_complete, s.get());
  subscriptions_.push_back(std::move(s));
}

}  // namespace tw::bus
