#include "bus/bus_connection.h"

#include <chrono>
#include <stdexcept>

#include <nats/nats.h>

namespace tw::bus {

namespace {

// nats.c's connection callbacks (its own thread): the closure is the ConnectionState.
void on_disconnected(natsConnection*, void* closure) {
  auto* state = static_cast<ConnectionState*>(closure);
  if (state->connected.exchange(false)) state->disconnects.fetch_add(1, std::memory_order_relaxed);
}

void on_connected(natsConnection*, void* closure) { static_cast<ConnectionState*>(closure)->connected.store(true); }

void on_closed(natsConnection*, void* closure) {
  auto* state = static_cast<ConnectionState*>(closure);
  state->connected.store(false);
  const std::lock_guard lock(state->closed_mutex);
  state->closed = true;
  state->closed_changed.notify_all();
}

// natsOptions freed on every path.
struct Options {
  natsOptions* options = nullptr;
  ~Options() { natsOptions_Destroy(options); }
};

}  // namespace

std::string last_error_text(int status) {
  std::string text = natsStatus_GetText(static_cast<natsStatus>(status));
  if (const char* detail = nats_GetLastError(nullptr); detail != nullptr && *detail != '\0') text += ": " + std::string(detail);
  return text;
}

natsConnection* open_connection(const BusEndpoint& endpoint, ConnectionState& state) {
  auto check = [](natsStatus status, const std::string& what) {
    if (status != NATS_OK) throw std::runtime_error("bus: " + what + ": " + last_error_text(status));
  };
  Options o;
  check(natsOptions_Create(&o.options), "natsOptions_Create");
  std::vector<const char*> urls;
  for (const std::string& url : endpoint.servers) urls.push_back(url.c_str());
  check(natsOptions_SetServers(o.options, urls.data(), static_cast<int>(urls.size())), "the server URLs");
  if (!endpoint.client_name.empty()) check(natsOptions_SetName(o.options, endpoint.client_name.c_str()), "natsOptions_SetName");
  if (!endpoint.creds_file.empty())
    check(natsOptions_SetUserCredentialsFromFiles(o.options, endpoint.creds_file.c_str(), nullptr),
          "the credentials file " + endpoint.creds_file);
  if (!endpoint.tls_ca_file.empty()) {
    check(natsOptions_SetSecure(o.options, true), "TLS");
    check(natsOptions_LoadCATrustedCertificates(o.options, endpoint.tls_ca_file.c_str()), "the CA file " + endpoint.tls_ca_file);
  }
  // Reconnect for ever, soon: an instance outlives any outage of the bus (issue 25, "The
  // bus lost"); what waits meanwhile is the publisher's own buffer, so nats.c's is small.
  natsOptions_SetMaxReconnect(o.options, -1);
  natsOptions_SetReconnectWait(o.options, 500);
  natsOptions_SetTimeout(o.options, 2000);
  natsOptions_SetReconnectBufSize(o.options, 1 << 20);
  natsOptions_SetDisconnectedCB(o.options, on_disconnected, &state);
  natsOptions_SetReconnectedCB(o.options, on_connected, &state);
  natsOptions_SetRetryOnFailedConnect(o.options, true, on_connected, &state);
  natsOptions_SetClosedCB(o.options, on_closed, &state);
  natsConnection* connection = nullptr;
  const natsStatus status = natsConnection_Connect(&connection, o.options);
  if (status == NATS_OK) {
    state.connected.store(true);
  } else if (status != NATS_NOT_YET_CONNECTED) {
    natsConnection_Destroy(connection);
    throw std::runtime_error("bus: cannot connect to " + endpoint.servers.front() + ": " + last_error_text(status));
  }
  return connection;
}

void close_connection(natsConnection* connection, ConnectionState& state) {
  if (connection == nullptr) return;
  natsConnection_Close(connection);
  {
    // nats.c queues the disconnected and closed callbacks on its own thread and returns:
    // the state they write must live until the closed one has run.
    std::unique_lock lock(state.closed_mutex);
    state.closed_changed.wait_for(lock, std::chrono::seconds(5), [&state] { return state.closed; });
  }
  natsConnection_Destroy(connection);
}

}  // namespace tw::bus
