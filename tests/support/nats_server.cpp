#include "support/nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <thread>

#include <nats/nats.h>

namespace tw::test {

namespace {

std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free TCP port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

// A connection and JetStream context for the readers, closed on scope exit.
struct Client {
  natsConnection* connection = nullptr;
  jsCtx* jetstream = nullptr;
  explicit Client(const std::string& url) {
    if (natsConnection_ConnectTo(&connection, url.c_str()) != NATS_OK) throw std::runtime_error("cannot connect to " + url);
    if (natsConnection_JetStream(&jetstream, connection, nullptr) != NATS_OK) throw std::runtime_error("no JetStream at " + url);
  }
  ~Client() {
    jsCtx_Destroy(jetstream);
    natsConnection_Destroy(connection);
  }
};

// The messages of a synchronous subscription as JSON objects with "_subject" added, until
// `count` have come or `timeout_s` has passed; the subscription is destroyed.
std::vector<nlohmann::json> collect(natsSubscription* subscription, std::size_t count, double timeout_s) {
  std::vector<nlohmann::json> messages;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
    natsMsg* message = nullptr;
    if (natsSubscription_NextMsg(&message, subscription, 100) != NATS_OK) continue;
    nlohmann::json json = nlohmann::json::parse(std::string(natsMsg_GetData(message), natsMsg_GetDataLength(message)),
                                                nullptr, false);
    if (json.is_object()) json["_subject"] = natsMsg_GetSubject(message);
    messages.push_back(std::move(json));
    natsMsg_Destroy(message);
  }
  // Unsubscribed before it is freed: the connection's reader thread may still be
  // delivering to it (an ordered consumer's heartbeat), and freed while subscribed
  // it was once read after the free (AddressSanitizer, natsConn_processMsg).
  natsSubscription_Unsubscribe(subscription);
  natsSubscription_Destroy(subscription);
  return messages;
}

}  // namespace

std::string nats_server_program() {
  for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
    if (::access(path, X_OK) == 0) return path;
  return "nats-server";
}

NatsServer::NatsServer(std::string store_dir) : store_dir_(std::move(store_dir)) {
  std::filesystem::create_directories(store_dir_);
  port_ = free_tcp_port();
  start();
}

NatsServer::~NatsServer() { stop(); }

void NatsServer::start() {
  RunOptions options;
  options.timeout_s = 600.0;
  process_ = std::make_unique<BackgroundCommand>(
      nats_server_program(),
      std::vector<std::string>{"-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_dir_}, options);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts(port_)) {
    if (std::chrono::steady_clock::now() > deadline || !process_->running())
      throw std::runtime_error("nats-server did not start on port " + std::to_string(port_) + ": " + process_->wait().err);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void NatsServer::stop() {
  if (!process_) return;
  if (process_->running()) process_->send(SIGTERM);
  process_->wait();
  process_.reset();
}

std::vector<nlohmann::json> read_bus_events(const std::string& url, std::size_t count, double timeout_s) {
  Client client(url);
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = "TONEWATCH_EVENTS";
  sub_options.Ordered = true;  // an ephemeral consumer from the first message, in stream order
  natsSubscription* subscription = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  if (js_SubscribeSync(&subscription, client.jetstream, "tonewatch.events.>", nullptr, &sub_options, &error) != NATS_OK)
    throw std::runtime_error("cannot subscribe to the event stream at " + url);
  return collect(subscription, count, timeout_s);
}

long long bus_stream_message_count(const std::string& url) {
  Client client(url);
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, client.jetstream, "TONEWATCH_EVENTS", nullptr, nullptr) != NATS_OK) return -1;
  const auto messages = static_cast<long long>(info->State.Msgs);
  jsStreamInfo_Destroy(info);
  return messages;
}

std::vector<nlohmann::json> read_heartbeats(const std::string& url, double seconds) {
  Client client(url);
  natsSubscription* subscription = nullptr;
  if (natsConnection_SubscribeSync(&subscription, client.connection, "tonewatch.heartbeat.>") != NATS_OK)
    throw std::runtime_error("cannot subscribe to heartbeats at " + url);
  return collect(subscription, std::numeric_limits<std::size_t>::max(), seconds);
}

}  // namespace tw::test
