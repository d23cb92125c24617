#include "bus/bus_requester.h"

#include <pthread.h>

#include <future>
#include <stdexcept>
#include <vector>

#include <nats/nats.h>

#include "bus/bus_connection.h"

namespace tw::bus {

BusRequester::BusRequester(natsConnection* connection, std::size_t max_pending)
    : connection_(connection), max_pending_(max_pending) {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) throw std::runtime_error("bus: cannot make a reply inbox");
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  const std::string wildcard = inbox_ + ".*";
  const natsStatus status = natsConnection_Subscribe(&subscription_, connection_, wildcard.c_str(), &BusRequester::on_reply, this);
  if (status != NATS_OK) throw std::runtime_error("bus: cannot subscribe to the reply inbox: " + last_error_text(status));
  // Set by nats.c once the subscription is closed and on_reply has returned for good.
  natsSubscription_SetOnCompleteCB(subscription_, [](void* closure) { static_cast<BusRequester*>(closure)->complete_.set_value(); },
                                   this);
  timer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-bus-requests");
    expire();
  });
}

BusRequester::~BusRequester() {
  // Unsubscribed first, and waited for: no reply handler runs once the destructor goes on.
  std::future<void> done = complete_.get_future();
  if (natsSubscription_Unsubscribe(subscription_) == NATS_OK) done.wait_for(std::chrono::seconds(5));
  close();
  if (timer_.joinable()) timer_.join();
  natsSubscription_Destroy(subscription_);
}

void BusRequester::close() {
  std::map<std::uint64_t, Waiting> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    left.swap(waiting_);
  }
  changed_.notify_all();
  for (auto& [token, waiting] : left) waiting.done(Outcome::no_bus, {});
}

void BusRequester::request(const std::string& subject, const std::string& data, std::chrono::milliseconds timeout, Done done) {
  std::uint64_t token = 0;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping = stopping_;
    if (!stopping_ && waiting_.size() < max_pending_) {
      token = next_token_++;
      waiting_.emplace(token, Waiting{std::chrono::steady_clock::now() + timeout, std::move(done)});
    }
  }
  if (token == 0) {
    done(stopping ? Outcome::no_bus : Outcome::busy, {});
    return;
  }
  changed_.notify_all();
  const std::string reply = inbox_ + "." + std::to_string(token);
  if (natsConnection_Status(connection_) != NATS_CONN_STATUS_CONNECTED ||
      natsConnection_PublishRequest(connection_, subject.c_str(), reply.c_str(), data.data(), static_cast<int>(data.size())) !=
          NATS_OK) {
    Done failed;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = waiting_.find(token);
      if (it == waiting_.end()) return;  // answered or expired meanwhile: done ran already
      failed = std::move(it->second.done);
      waiting_.erase(it);
    }
    failed(Outcome::no_bus, {});
  }
}

void BusRequester::on_reply(natsConnection*, natsSubscription*, natsMsg* message, void* closure) {
  auto* self = static_cast<BusRequester*>(closure);
  const std::string subject = natsMsg_GetSubject(message);
  const std::size_t dot = subject.rfind('.');
  std::uint64_t token = 0;
  try {
    token = std::stoull(subject.substr(dot + 1));
  } catch (const std::exception&) {
    natsMsg_Destroy(message);
    return;
  }
  Done done;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    const auto it = self->waiting_.find(token);
    if (it != self->waiting_.end()) {
      done = std::move(it->second.done);
      self->waiting_.erase(it);
    }
  }
  if (done) {
    if (natsMsg_IsNoResponders(message)) done(Outcome::no_responder, {});
    else done(Outcome::answered, std::string(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message))));
  }
  natsMsg_Destroy(message);
}

void BusRequester::expire() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (waiting_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto earliest = waiting_.begin()->second.deadline;
    for (const auto& [token, waiting] : waiting_) earliest = std::min(earliest, waiting.deadline);
    if (changed_.wait_until(lock, earliest) != std::cv_status::timeout && !stopping_) continue;
    std::vector<Done> late;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.deadline <= now) {
        late.push_back(std::move(it->second.done));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (Done& done : late) done(Outcome::timeout, {});
    lock.lock();
  }
}

std::size_t BusRequester::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.size();
}

}  // namespace tw::bus
