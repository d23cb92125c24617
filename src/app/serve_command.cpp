#include "app/serve_command.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <memory>
#include <thread>

#include "alerts/async_event_sink.h"
#include "alerts/webhook_sink.h"
#include "app/config_file.h"
#include "app/run_identity.h"
#include "app/dashboard_setup.h"
#include "app/default_model.h"
#include "net/http_server.h"
#include "server/call_registry.h"
#include "server/dashboard.h"
#include "server/event_hub.h"
#include "server/http_api.h"
#include "server/ingest_handlers.h"
#include "server/metrics.h"
#include "server/worker_pool.h"

namespace tw::app {
namespace {

// Each call holds a socket per leg, its windows and events files and, with
// --record, its recording: up to five descriptors. Linux starts processes at a
// soft limit of 1024 (systemd services too), which a few hundred calls exhaust,
// so the soft limit goes up to the hard one, and a limit still too low is said
// at startup rather than found as EMFILE during a busy hour.
void raise_descriptor_limit(std::size_t max_calls, std::ostream& err) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t needed = static_cast<rlim_t>(max_calls) * 5 + 64;
  if (max_calls > 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    err << "tonewatch serve: warning: the open-file limit is " << limit.rlim_cur << ", and --max-calls "
        << max_calls << " may need " << needed << " (ulimit -n, or LimitNOFILE= in the systemd unit)\n";
  }
}

// Events waiting between the analysis threads and their delivery; past this, drops are counted.
constexpr std::size_t kEventQueue = 1 << 14;

telephony::AudioHookCredential parse_audiohook_key(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (text.empty() || colon == 0) throw std::invalid_argument("--audiohook-key: expected KEY or KEY:SECRET, got '" + text + "'");
  if (colon == std::string::npos) return {text, ""};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

std::string stat_line(const char* name, const char* help, const char* type, std::uint64_t value) {
  return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(value) + "\n";
}

// The webhook sink's counters, one series per URL.
std::string webhook_metrics(const alerts::WebhookStats& s) {
  std::string out;
  auto family = [&](const char* name, const char* help, const char* type, auto value_of) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const alerts::WebhookUrlStats& u : s.urls) {
      out += std::string(name) + "{" + server::label("url", u.url) + "} " + std::to_string(value_of(u)) + "\n";
    }
  };
  family("tonewatch_webhook_delivered_total", "Events a webhook answered with 2xx", "counter",
         [](const alerts::WebhookUrlStats& u) { return u.delivered; });
  family("tonewatch_webhook_retries_total", "Webhook attempts after a failure", "counter",
         [](const alerts::WebhookUrlStats& u) { return u.retries; });
  family("tonewatch_webhook_failures_total", "Failed webhook attempts (all kinds)", "counter", [](const alerts::WebhookUrlStats& u) {
    std::uint64_t n = 0;
    for (auto f : u.failures) n += f;
    return n;
  });
  family("tonewatch_webhook_dropped_total", "Events a webhook never got (spool full, rejected with 4xx, gave up)", "counter",
         [](const alerts::WebhookUrlStats& u) { return u.dropped_spool_full + u.dropped_rejected + u.dropped_gave_up; });
  family("tonewatch_webhook_queue_depth", "Events spooled and waiting for a webhook", "gauge",
         [](const alerts::WebhookUrlStats& u) { return u.depth.events; });
  out += stat_line("tonewatch_webhook_spool_bytes", "Bytes in the webhook spool", "gauge", s.spool.bytes);
  out += stat_line("tonewatch_webhook_spool_errors_total", "Events the spool could not write", "counter", s.spool_errors);
  return out;
}

}  // namespace

CLI::App* ServeCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("serve", "Monitor calls in progress: take telephony media streams and alert as it happens");
  cmd->add_option("--listen", listen, "HTTP/WebSocket address: /twilio, /stream, /audiohook, /events, /metrics, /api")
      ->capture_default_str();
  cmd->add_option("--audiosocket", audiosocket, "Asterisk AudioSocket listener for caller legs (host:port), e.g. 127.0.0.1:9092");
  cmd->add_option("--audiosocket-agent", audiosocket_agent, "AudioSocket listener for agent legs (host:port)");
  cmd->add_option("--out,-o", out_dir, "Where each call's outputs go when it ends")->capture_default_str();
  cmd->add_option("--config", config_path, "Detection thresholds (JSON; see 'tonewatch defaults')");
  cmd->add_option("--model", model_path, "Agitation model file (default: the built-in model)");
  webhook_options.add_to(cmd, "POST each supervisor alert to this URL (repeatable)");
  cmd->add_option("--record", record_dir, "Keep each call's audio as <call>.wav (8 kHz stereo) in this folder");
  cmd->add_option("--leg-buffer-s", leg_buffer_s,
                  "Audio a stream may run ahead of analysis before frames are dropped (s; 16 KB of memory per second per channel)")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  cmd->add_option("--max-calls", max_calls, "Concurrent calls; more are refused (0: no limit)")->capture_default_str();
  cmd->add_option("--workers", worker_threads, "Analysis threads (default: one per core)");
  cmd->add_option("--io-threads", io_threads, "Network threads")->capture_default_str();
  cmd->add_option("--tls-cert", tls_cert, "TLS certificate chain (PEM): the listener speaks https/wss only");
  cmd->add_option("--tls-key", tls_key, "TLS private key (PEM)");
  cmd->add_option("--audiohook-key", audiohook_keys,
                  "Genesys AudioHook credentials KEY or KEY:CLIENT_SECRET (base64); repeatable. Without one, /audiohook is refused");
  cmd->add_option("--idle-timeout", idle_timeout_s, "Close a stream that completes no message for this long (s)")
      ->capture_default_str();
  cmd->add_option("--max-message-bytes", max_message_bytes, "Largest WebSocket message accepted")->capture_default_str();
  cmd->add_flag("--quiet,-q", quiet, "No event JSON lines on stdout");
  cmd->add_option("--dashboard-token", dashboard_token,
                  "Require this token for the dashboard, /api, /events and /metrics (login page; Authorization: Bearer)");
  cmd->add_option("--dashboard-token-file", dashboard_token_file, "Read the dashboard token from the first line of this file");
  return cmd;
}

int ServeCommand::run(std::ostream& out, std::ostream& err) {
  // SIGINT and SIGTERM are taken by sigwait below: blocked here, before any thread
  // starts, so every thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  raise_descriptor_limit(max_calls, err);
  const detect::AgitationModel model = load_agitation_model(model_path);
  server::CallSettings settings;
  settings.model = &model;
  settings.session.detection = config_path.empty() ? detect::DetectionConfig{} : load_config_file(config_path);
  settings.output.dir = out_dir;
  // A live call holds its windows and events files open for its whole length:
  // 2 KiB buffers instead of 8 KiB save 12 KiB per call (a line a second fills them
  // in a few seconds, so writes stay rare).
  settings.output.stream_buffer_bytes = 2048;
  settings.record_dir = record_dir;
  settings.ring_s = leg_buffer_s;
  settings.analysis = live_analysis_json(model_path, settings.session.detection, "serve");

  server::Metrics metrics;
  server::EventHub hub(metrics, quiet ? nullptr : &out);
  const std::unique_ptr<alerts::WebhookSink> webhook = webhook_options.make_sink(out_dir, err, "tonewatch serve: ");
  if (webhook) hub.add_sink(*webhook);
  alerts::AsyncEventSink events(hub, kEventQueue);
  std::shared_ptr<server::CallRegistry> registry;
  server::WorkerPool workers(worker_threads, metrics, [&](const std::shared_ptr<server::LiveCall>& call) {
    if (registry) registry->on_finished(call);
  });
  registry = std::make_shared<server::CallRegistry>(settings, events, workers, metrics, max_calls);

  server::IngestContext ingest{*registry, metrics, &err, {}, {}, {}, {}, {}};
  ingest.twilio.max_message_bytes = max_message_bytes;
  ingest.generic.max_message_bytes = max_message_bytes;
  ingest.audiohook.max_message_bytes = max_message_bytes;
  for (const std::string& k : audiohook_keys) ingest.audiohook_auth.credentials.push_back(parse_audiohook_key(k));

  server::Dashboard dashboard(*registry, hub, metrics, dashboard_config(dashboard_token, dashboard_token_file, listen, err));
  std::atomic<bool> ready{true};
  net::ServerConfig config;
  config.listen = listen;
  config.tls_cert_file = tls_cert;
  config.tls_key_file = tls_key;
  config.io_threads = io_threads;
  std::unique_ptr<net::HttpServer> http;
  server::ApiContext api{*registry, hub, metrics, {}, [&] { return ready.load(); }};
  api.extra_metrics = [&] {
    const net::NetStats& s = http->stats();
    return stat_line("tonewatch_open_connections", "Open WebSocket and TCP connections", "gauge", s.open_connections) +
           stat_line("tonewatch_connection_objects",
                     "WebSocket and TCP connections still in memory (open or closing; settles to the open ones)", "gauge",
                     http->connection_objects()) +
           stat_line("tonewatch_websocket_accepted_total", "WebSocket connections accepted", "counter", s.websocket_accepted) +
           stat_line("tonewatch_websocket_refused_total", "WebSocket upgrades refused (auth, limits)", "counter", s.websocket_refused) +
           stat_line("tonewatch_tcp_accepted_total", "AudioSocket connections accepted", "counter", s.tcp_accepted) +
           stat_line("tonewatch_idle_timeouts_total", "Connections closed for completing no message in time", "counter", s.idle_timeouts) +
           stat_line("tonewatch_protocol_errors_total", "Bad HTTP requests, WebSocket frames or oversize messages", "counter", s.protocol_errors) +
           stat_line("tonewatch_tls_failures_total", "Failed TLS handshakes", "counter", s.tls_failures) +
           stat_line("tonewatch_feed_dropped_total", "Feed messages dropped for slow readers", "counter", s.outbox_dropped) +
           stat_line("tonewatch_event_queue_dropped_total", "Events dropped between analysis and delivery (queue full)", "counter", events.dropped()) +
           stat_line("tonewatch_event_queue_depth", "Events waiting for delivery", "gauge", events.queued()) +
           stat_line("tonewatch_heap_bytes", "Bytes of heap in use (glibc mallinfo2)", "gauge", mallinfo2().uordblks) +
           (webhook ? webhook_metrics(webhook->stats()) : std::string());
  };
  config.http = [&](const net::Request& r) {
    net::Response response = server::handle_api(api, r);
    return response.status == 0 ? net::Response::text(404, "not found\n") : response;
  };
  auto ws = [&](std::string path, net::WebSocketOpener open) {
    net::WebSocketRoute route;
    route.path = std::move(path);
    route.open = std::move(open);
    route.max_message_bytes = max_message_bytes;
    route.idle_timeout_s = idle_timeout_s;
    config.websockets.push_back(std::move(route));
  };
  ws("/twilio", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response&) { return server::open_twilio(ingest, r, o); });
  ws("/stream", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response&) { return server::open_generic(ingest, r, o); });
  ws("/audiohook", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response& refusal) {
    return server::open_audiohook(ingest, r, o, refusal);
  });
  ws("/events", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response&) { return server::open_event_feed(hub, r, o); });
  config.websockets.back().idle_timeout_s = 1e9;  // a feed reader only listens
  config.websockets.back().outbox_messages = 4096;
  auto tcp = [&](const std::string& address, features::SpeakerRole role) {
    if (address.empty()) return;
    net::TcpRoute route;
    route.address = address;
    route.idle_timeout_s = idle_timeout_s;
    route.open = [&ingest, role](const std::string& remote, std::shared_ptr<net::Outbox> o) {
      return server::open_audiosocket(ingest, remote, std::move(o), role);
    };
    config.tcp.push_back(std::move(route));
  };
  tcp(audiosocket, features::SpeakerRole::caller);
  tcp(audiosocket_agent, features::SpeakerRole::agent);

  dashboard.install(config);  // the supervisor's pages and feed; access rules before /api, /metrics, /events
  http = std::make_unique<net::HttpServer>(std::move(config));
  http->start();
  dashboard.start();
  err << "tonewatch serve: listening on " << (tls_cert.empty() ? "http://" : "https://") << listen.substr(0, listen.rfind(':'))
      << ":" << http->http_port() << "/ (dashboard; /twilio, /stream, /audiohook, /events, /metrics, /api/calls)";
  const auto tcp_ports = http->tcp_ports();
  if (!audiosocket.empty()) err << ", AudioSocket callers on port " << tcp_ports.at(0);
  if (!audiosocket_agent.empty()) err << ", agents on port " << tcp_ports.back();
  err << "; outputs in " << out_dir << "/\n";
  err.flush();

  int signal = 0;
  sigwait(&signals, &signal);
  err << "tonewatch serve: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
      << ": no new calls; finishing " << registry->active_count() << " call(s) in progress\n";
  ready = false;
  registry->close();
  http->stop_accepting();
  dashboard.stop();
  http->stop();              // closes every connection: their legs end and the calls finish
  hub.clear_subscribers();   // feed connections the close handshake did not reach
  workers.stop_all_calls();  // calls whose legs are still joining end too
  workers.wait_idle(600.0);
  events.flush();
  if (webhook && !webhook->flush(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
    err << "tonewatch serve: webhook receivers did not take every alert in 10 s; the rest waits in the spool for the next start\n";
  }
  err << "tonewatch serve: stopped; every call's outputs are in " << out_dir << "/\n";
  return 0;
}

}  // namespace tw::app
