#include "app/serve_command.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <memory>
#include <thread>

#include "alerts/async_event_sink.h"
#include "alerts/webhook_sink.h"
#include "app/config_file.h"
#include "app/dashboard_setup.h"
#include "app/default_model.h"
#include "app/options_file.h"
#include "app/run_identity.h"
#include "bus/bus_publisher.h"
#include "bus/bus_subjects.h"
#include "bus/bus_subscriber.h"
#include "bus/bus_requester.h"
#include "bus/webhook_queue.h"
#include "net/http_server.h"
#include "server/call_registry.h"
#include "server/dashboard.h"
#include "server/dashboard_access.h"
#include "server/event_hub.h"
#include "server/fleet_view.h"
#include "server/http_api.h"
#include "server/ingest_handlers.h"
#include "server/metrics.h"
#include "server/remote_call_view.h"
#include "server/split_calls.h"
#include "server/worker_pool.h"

namespace tw::app {
namespace {

using server::stat_line;

// Each call holds a socket per leg, its windows and events files and, with
// --record, its recording: up to five descriptors. Linux starts processes at a
// soft limit of 1024 (systemd services too), which a few hundred calls exhaust,
// so the soft limit goes up to the hard one, and a limit still too low is said
// at startup rather than found as EMFILE during a busy hour.
// Returns the soft limit it leaves (0 if unknown or unlimited).
std::size_t raise_descriptor_limit(std::size_t max_calls, std::ostream& err) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
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
  return limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<std::size_t>(limit.rlim_cur);
}

// Descriptors kept back from the connection limits: the listeners, stdio, the
// webhook spool, the feed and worker threads' files, and TLS's own.
constexpr std::size_t kReservedDescriptors = 64;
// Files a call holds open besides its connections (windows, events, recording).
constexpr std::size_t kFilesPerCall = 3;

struct ConnectionCaps {
  std::size_t per_listener = 0, per_address = 0;
};

// The connection limits of each listener. Unset (0), they come from the open-file
// limit: what is left after kReservedDescriptors and the calls' files, shared by
// the listeners, so a flood meets the limit before accept(2) meets EMFILE and
// /healthz stays reachable; at most 4 connections per call (two legs, and the
// dashboards and API readers) plus 256. A remote address gets half of that: one
// flooding peer cannot fill a listener alone. Limits set above what the
// descriptors allow are kept, with a warning.
ConnectionCaps connection_caps(std::size_t per_listener, std::size_t per_address, std::size_t descriptors,
                               std::size_t max_calls, std::size_t listeners, std::ostream& err) {
  const std::size_t reserved = kReservedDescriptors + kFilesPerCall * max_calls;
  const std::size_t budget = descriptors > reserved ? (descriptors - reserved) / listeners : 0;
  ConnectionCaps caps;
  caps.per_listener = per_listener;
  if (caps.per_listener == 0) {
    caps.per_listener = max_calls > 0 ? 4 * max_calls + 256 : 65536;
    if (descriptors > 0) caps.per_listener = std::min(caps.per_listener, std::max<std::size_t>(budget, 16));
  } else if (descriptors > 0 && caps.per_listener > budget) {
    err << "tonewatch serve: warning: --max-connections " << caps.per_listener << " on each of " << listeners
        << " listener(s) is more than the open-file limit " << descriptors << " leaves (" << budget
        << " each): a flood will meet EMFILE first (accepts then pause, and /healthz may not answer)\n";
  }
  caps.per_address = per_address == 0 ? std::max<std::size_t>(caps.per_listener / 2, 8) : per_address;
  return caps;
}

// Events waiting between the analysis threads and their delivery; past this, drops are counted.
constexpr std::size_t kEventQueue = 1 << 14;

std::string format_block_limit(double block_ms, double leg_buffer_s) {
  char text[256];
  std::snprintf(text, sizeof text,
                "--analysis-block-ms %g: a call's legs buffer %g s of audio (--leg-buffer-s), and a block may be at "
                "most half of that (%g ms) or packets would be dropped while it gathers",
                block_ms, leg_buffer_s, leg_buffer_s * 500.0);
  return text;
}

telephony::AudioHookCredential parse_audiohook_key(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (text.empty() || colon == 0) throw std::invalid_argument("--audiohook-key: expected KEY or KEY:SECRET, got '" + text + "'");
  if (colon == std::string::npos) return {text, ""};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

// The standard process metrics Prometheus client libraries export
// (prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics), from
// getrusage(2) and /proc/self (proc(5)), and a build_info gauge as their
// <name>_build_info convention has it. Rendered at scrape time only.
std::string process_metrics(double start_unix_s, const std::string& model) {
  auto gauge = [](const char* name, const char* help, const char* type, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + number + "\n";
  };
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  double rss_bytes = 0.0, virtual_bytes = 0.0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    unsigned long pages_virtual = 0, pages_resident = 0;
    if (std::fscanf(statm, "%lu %lu", &pages_virtual, &pages_resident) == 2) {
      const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
      virtual_bytes = static_cast<double>(pages_virtual) * page;
      rss_bytes = static_cast<double>(pages_resident) * page;
    }
    std::fclose(statm);
  }
  std::error_code ec;
  double fds = 0.0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    fds += 1.0;
  }
  rlimit limit{};
  const double max_fds = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0.0;
  std::string escaped_model;
  for (char c : model) {
    if (c == '\\' || c == '"') escaped_model += '\\';
    if (c == '\n') {
      escaped_model += "\\n";
      continue;
    }
    escaped_model += c;
  }
  return gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", cpu_s) +
         gauge("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", rss_bytes) +
         gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", virtual_bytes) +
         gauge("process_open_fds", "Number of open file descriptors.", "gauge", fds) +
         gauge("process_max_fds", "Maximum number of open file descriptors.", "gauge", max_fds) +
         gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", start_unix_s) +
         "# HELP tonewatch_build_info The tonewatch version and agitation model this server runs (always 1).\n"
         "# TYPE tonewatch_build_info gauge\ntonewatch_build_info{version=\"" TW_VERSION "\",model=\"" + escaped_model + "\"} 1\n";
}

// The webhook sink's counters, one series per URL.
std::string bus_metrics(const bus::BusPublisher& bus) {
  const bus::BusStats& s = bus.stats();
  return stat_line("tonewatch_bus_connected", "1 while connected to the fleet's bus (NATS)", "gauge",
                   bus.connection_state().connected.load() ? 1 : 0) +
         stat_line("tonewatch_bus_published_total", "Events the bus (JetStream) acknowledged", "counter", s.published) +
         stat_line("tonewatch_bus_duplicates_total", "Acknowledged events the bus already had (a retried publish, stored once)",
                   "counter", s.duplicates) +
         stat_line("tonewatch_bus_buffered", "Events waiting for the bus", "gauge", s.buffered) +
         stat_line("tonewatch_bus_dropped_total", "Events dropped for the bus: its buffer full, or left at shutdown", "counter", s.dropped) +
         stat_line("tonewatch_bus_retries_total", "Publishes that failed and were retried", "counter", s.retries) +
         stat_line("tonewatch_bus_disconnects_total", "Times the connection to the bus was lost", "counter",
                   bus.connection_state().disconnects) +
         stat_line("tonewatch_bus_heartbeats_total", "Heartbeats sent", "counter", s.heartbeats);
}

std::string fleet_metrics(server::FleetView& fleet) {
  std::size_t alive = 0, lost = 0, calls = 0;
  for (const auto& instance : fleet.instances()) {
    (instance.value("lost", false) ? lost : alive) += 1;
    calls += instance.value("calls", std::size_t{0});
  }
  return stat_line("tonewatch_fleet_instances", "Other instances heard from on the bus and alive", "gauge", alive) +
         stat_line("tonewatch_fleet_lost_instances", "Other instances gone quiet (their calls shown as lost)", "gauge", lost) +
         stat_line("tonewatch_fleet_calls", "Live calls the other instances hold", "gauge", calls) +
         stat_line("tonewatch_fleet_malformed_total", "Fleet messages from the bus that could not be read", "counter", fleet.malformed());
}

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

// Says at start what anyone who can reach a listener may do: tonewatch
// authenticates the dashboard (a token) and AudioHook (API keys and signatures),
// but not the platforms' own streams, which are meant for a private network or
// a proxy that authenticates them.
void warn_exposure(const std::string& listen, const std::vector<std::string>& audiosockets, bool token, bool tls,
                   std::ostream& err) {
  const bool public_http = !server::is_loopback_name(net::parse_address(listen).first);
  if (public_http) {
    err << "tonewatch serve: warning: /twilio and /stream on " << listen
        << " take a call from anyone who can reach it (they are not authenticated): firewall them to your platform, "
           "or put a proxy in front that authenticates (docs/security.md)\n";
    if (token && !tls) {
      err << "tonewatch serve: warning: the dashboard token and login cookies cross the network in clear text on "
          << listen << ": use --tls-cert and --tls-key, or a TLS proxy in front\n";
    }
  }
  for (const std::string& address : audiosockets) {
    if (!address.empty() && !server::is_loopback_name(net::parse_address(address).first)) {
      err << "tonewatch serve: warning: AudioSocket on " << address
          << " takes a call from anyone who can reach it (the protocol has no authentication): firewall it to your "
             "Asterisk hosts\n";
    }
  }
}

}  // namespace

CLI::App* ServeCommand::add_to(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("serve", "Monitor calls in progress: take telephony media streams and alert as it happens");
  cmd->add_option("--listen", listen, "HTTP/WebSocket address: /twilio, /stream, /audiohook, /events, /metrics, /api")
      ->capture_default_str();
  cmd->add_option("--audiosocket", audiosocket, "Asterisk AudioSocket listener for caller legs (host:port), e.g. 127.0.0.1:9092");
  cmd->add_option("--audiosocket-agent", audiosocket_agent, "AudioSocket listener for agent legs (host:port)");
  siprec_options.add_to(cmd);
  bus_options.add_to(cmd);
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
  cmd->add_option("--analysis-block-ms", analysis_block_ms,
                  "Audio a call gathers before it is analysed (ms): larger blocks cost less CPU per call. A block "
                  "ends where detection judges a second of the call (40 ms after it) and at every packet while "
                  "the caller vents, so alerts never wait for one; interruptions, dead air and monologues are "
                  "reported up to this much later (0: every packet as it comes; at most half of --leg-buffer-s)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--io-threads", io_threads, "Network threads for the calls' connections, taken in turn (the /events and dashboard feeds, unless over TLS, get one more of their own)")->capture_default_str();
  cmd->add_option("--tls-cert", tls_cert, "TLS certificate chain (PEM): the listener speaks https/wss only");
  cmd->add_option("--tls-key", tls_key, "TLS private key (PEM)");
  cmd->add_option("--audiohook-key", audiohook_keys,
                  "Genesys AudioHook credentials KEY or KEY:CLIENT_SECRET (base64); repeatable. Without one, /audiohook is refused");
  cmd->add_option("--idle-timeout", idle_timeout_s, "Close a stream that completes no message for this long (s)")
      ->capture_default_str();
  cmd->add_option("--max-message-bytes", max_message_bytes, "Largest binary (audio) WebSocket message accepted")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20))
      ->capture_default_str();
  cmd->add_option("--max-json-bytes", max_json_bytes, "Largest text (JSON) message accepted on /twilio, /stream, /audiohook")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20))
      ->capture_default_str();
  cmd->add_option("--max-json-depth", max_json_depth, "Deepest JSON nesting accepted in an ingest message (refused before parsing)")
      ->check(CLI::Range(8, 1000))
      ->capture_default_str();
  cmd->add_option("--max-metadata-bytes", max_metadata_bytes,
                  "Platform metadata kept per call (compact JSON; the rest is cut and counted)")
      ->check(CLI::Range(std::size_t{256}, std::size_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--max-call-s", max_call_s,
                  "End a call after this much audio, writing its outputs (bounds every output of a call; 0: no limit)")
      ->check(CLI::Range(0.0, 7 * 86400.0))
      ->capture_default_str();
  cmd->add_option("--ingest-origin", ingest_origins,
                  "Let web pages of this origin (scheme://host[:port]) open /twilio, /stream, /audiohook; repeatable. "
                  "Upgrades with any other Origin header are refused (platforms send none)");
  cmd->add_option("--max-connections", max_connections,
                  "Connections each listener holds at once; more are closed on accept (default: from the open-file limit)");
  cmd->add_option("--max-connections-per-address", max_connections_per_address,
                  "Connections one remote address may hold on a listener (default: half of --max-connections)");
  cmd->add_option("--feed-idle-timeout", feed_idle_timeout_s,
                  "Close an /events or /dashboard/feed reader that answers no ping for this long (s)")
      ->check(CLI::Range(2.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--max-feed-clients", max_feed_clients, "Readers of /events, and of /dashboard/feed, open at once (each)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", quiet, "No event JSON lines on stdout");
  cmd->add_option("--log-format", log_format, "stderr log lines: text, or json (one object per line, for log shippers)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--dashboard-token", dashboard_token,
                  "Require this token for the dashboard, /api, /events and /metrics (login page; Authorization: Bearer)");
  cmd->add_option("--dashboard-token-file", dashboard_token_file, "Read the dashboard token from the first line of this file");
  // The service runs `serve --options-file /etc/tonewatch/serve.conf` (packaging/).
  cmd->add_option("--options-file", options_file,
                  "Read options from this file (name = value per line, as --print-options-file writes it); "
                  "options on the command line win")
      ->configurable(false);
  cmd->add_flag("--print-options-file", print_options_file,
                "Print every option as an options file (those given here set, the others commented out with "
                "their defaults) and exit")
      ->configurable(false);
  // Applied once the command line is parsed, so that what it gave wins; a misspelt
  // name or a bad value in the file is a usage error naming both.
  cmd->callback([this] {
    if (!options_file.empty()) apply_options_file(*command_, options_file);
  });
  command_ = cmd;
  return cmd;
}

int ServeCommand::run(std::ostream& out, std::ostream& err) {
  if (print_options_file) {
    out << "# tonewatch serve options (tonewatch serve --options-file FILE; man tonewatch-serve).\n"
           "# One option per line, name = value: strings in double quotes, repeatable options as\n"
           "# lists [\"a\", \"b\"], flags true or false. Remove a '#' to set an option; options given\n"
           "# on the command line win over this file.\n"
        << options_file_text(*command_);
    return 0;
  }
  // A call's legs must hold a whole block while it gathers, with room for the packets
  // that arrive meanwhile and for a stall of the network: half their buffer at most.
  if (analysis_block_ms / 1000.0 > leg_buffer_s / 2.0) {
    throw std::invalid_argument(format_block_limit(analysis_block_ms, leg_buffer_s));
  }
  // SIGINT and SIGTERM are taken by sigwait below: blocked here, before any thread
  // starts, so every thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const double start_unix_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::size_t descriptors = raise_descriptor_limit(max_calls, err);
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
  settings.metadata.max_bytes = max_metadata_bytes;
  settings.max_call_s = max_call_s;
  settings.analysis = live_analysis_json(model_path, settings.session.detection, "serve");
  const std::string model_label = settings.analysis.value("model", std::string());

  server::Metrics metrics;
  server::EventHub hub(metrics, quiet ? nullptr : &out);
  // In a fleet the key is the event's own call:seq, the same whichever instance delivers it.
  const std::unique_ptr<alerts::WebhookSink> webhook =
      webhook_options.make_sink(out_dir, err, "tonewatch serve: ", bus_options.enabled());
  // On the bus, webhooks are fed by the fleet's queue (below), not by this instance's hub:
  // each alert is delivered once by the fleet, whichever instance raised it.
  if (webhook && !bus_options.enabled()) hub.add_sink(*webhook);
  const server::ServerLog log{&err, log_format == "json"};
  // The fleet's bus (issue 25): every event also to NATS JetStream, off the analysis path
  // (the hub's sinks run on the event delivery thread; the publisher has its own thread).
  // Declared before the event queue and the workers, which may still deliver events to it
  // while they go; what its thread calls (the heartbeat's and the fleet message's makers,
  // set once what they read exists) is declared before it.
  // The bus's log lines (connection lost and back, the stream and consumer made) are serve's.
  const auto log_bus = [&log](std::string_view event, std::string_view message) { log.write(std::string(event), std::string(message)); };
  std::function<nlohmann::json()> heartbeat_for_bus;
  std::function<std::string()> calls_for_bus;
  std::atomic<int> bus_http_port{0};  // known once the server listens
  // The fleet subscriber's connection state, for the fleet view (nobody is declared lost while
  // we hear nothing ourselves); null before the subscriber exists and after it stops.
  std::atomic<const bus::ConnectionState*> fleet_connection{nullptr};
  std::unique_ptr<server::FleetView> fleet;
  std::string instance_id;
  std::unique_ptr<bus::BusPublisher> bus;
  if (bus_options.enabled()) {
    bus::BusConfig bus_config = bus_options.config();
    instance_id = bus_config.instance_id;
    bus_config.log = log_bus;
    bus_config.heartbeat_fields = [&heartbeat_for_bus] { return heartbeat_for_bus ? heartbeat_for_bus() : nlohmann::json::object(); };
    bus_config.each_second = [&calls_for_bus, subject = bus::calls_subject(instance_id)] {
      std::vector<std::pair<std::string, std::string>> messages;
      if (calls_for_bus) messages.emplace_back(subject, calls_for_bus());
      return messages;
    };
    server::FleetViewConfig fleet_config;
    fleet_config.own_instance = instance_id;
    fleet_config.listening = [&fleet_connection] {
      const bus::ConnectionState* state = fleet_connection.load();
      return state != nullptr && state->connected.load();
    };
    if (bus_options.fleet_view) fleet = std::make_unique<server::FleetView>(std::move(fleet_config));
    bus = std::make_unique<bus::BusPublisher>(std::move(bus_config));
    hub.add_sink(*bus);
  }
  std::unique_ptr<bus::WebhookQueue> webhook_queue;
  if (bus && webhook) {
    bus::WebhookQueueConfig queue_config;
    queue_config.endpoint = bus_options.endpoint("tonewatch " + instance_id + " webhooks");
    queue_config.event_max_age = std::chrono::hours(24);
    queue_config.stream_replicas = bus_options.stream_replicas;
    queue_config.log = log_bus;
    queue_config.handle = [&webhook, &log](std::string_view data, const std::function<void()>& still_working,
                                           const std::function<bool()>& stopping) {
      alerts::Event event;
      try {
        event = alerts::event_from_json(nlohmann::json::parse(data));
      } catch (const std::exception& e) {
        log.write("bus_webhook_unreadable", std::string("an event from the bus could not be read for the webhooks: ") + e.what());
        return true;  // it never will be: not offered again
      }
      // Into this instance's spool, then wait until every URL has it (or refused it for
      // good), telling JetStream every few seconds that the delivery goes on.
      webhook->on_event(event);
      auto renewed = std::chrono::steady_clock::now();
      while (!webhook->flush(std::chrono::steady_clock::now() + std::chrono::seconds(1))) {
        if (stopping()) return false;  // handed back: another instance, or the next start
        if (std::chrono::steady_clock::now() - renewed >= std::chrono::seconds(2)) {  // ack_wait is 10 s
          still_working();
          renewed = std::chrono::steady_clock::now();
        }
      }
      return true;
    };
    webhook_queue = std::make_unique<bus::WebhookQueue>(std::move(queue_config));
  }

  alerts::AsyncEventSink events(hub, kEventQueue);
  std::shared_ptr<server::CallRegistry> registry;
  server::WorkerPool workers(
      worker_threads, metrics,
      [&](const std::shared_ptr<server::LiveCall>& call) {
        if (registry) registry->on_finished(call);
        hub.call_ended(call->call_id());  // its open alerts close with it (kept in the history)
      },
      server::WorkerPool::kPollS, analysis_block_ms / 1000.0);
  registry = std::make_shared<server::CallRegistry>(settings, events, workers, metrics, max_calls);
  registry->set_log(log);
  hub.set_sequencer([&](const std::string& call_id) { return registry->next_sequence(call_id); });
  server::IngestContext ingest{*registry, metrics, log, {}, {}, {}, {}, {}, {}, {}};
  ingest.twilio.max_message_bytes = max_json_bytes;  // every Twilio message is JSON text
  ingest.twilio.max_json_depth = max_json_depth;
  ingest.generic.max_message_bytes = max_message_bytes;
  ingest.generic.max_json_bytes = max_json_bytes;
  ingest.generic.max_json_depth = max_json_depth;
  ingest.audiohook.max_message_bytes = max_message_bytes;
  ingest.audiohook.max_json_bytes = max_json_bytes;
  ingest.audiohook.max_json_depth = max_json_depth;
  for (const std::string& k : audiohook_keys) ingest.audiohook_auth.credentials.push_back(parse_audiohook_key(k));
  ingest.allowed_origins = ingest_origins;

  // Checked before anything listens: a bad SIPREC flag is a usage error.
  std::unique_ptr<server::SiprecIngest> siprec;
  if (siprec_options.enabled()) {
    siprec = std::make_unique<server::SiprecIngest>(ingest, siprec_options.config(idle_timeout_s, max_calls, tls_cert, tls_key));
    siprec_options.warn(err);
  }

  server::Dashboard dashboard(*registry, hub, metrics, dashboard_config(dashboard_token, dashboard_token_file, listen, err));
  // The rest of the fleet on this instance's wallboard: what the others publish each second.
  std::unique_ptr<bus::BusSubscriber> fleet_subscriber;
  std::unique_ptr<bus::BusRequester> view_requests;  // on fleet_subscriber's connection: goes first
  if (bus) {
    fleet_subscriber = std::make_unique<bus::BusSubscriber>(bus_options.endpoint("tonewatch " + instance_id + " fleet"));
    fleet_connection = &fleet_subscriber->connection_state();
    if (fleet) {
      dashboard.feed().set_fleet(fleet.get(), instance_id);
      calls_for_bus = [&dashboard, &registry, &fleet, &log, &metrics, split = std::make_shared<server::SplitCallDetector>()] {
        const std::vector<server::CallStatus> active = registry->active();  // one copy for both
        server::report_split_calls(*split, active, *registry, *fleet, log, metrics);
        return dashboard.feed().fleet_message(active);
      };
      // Our own calls message comes back too: skipped before it is parsed (it is the largest).
      fleet_subscriber->subscribe(std::string(bus::kAllCalls), [&fleet, own = bus::calls_subject(instance_id)](
                                                                   std::string_view subject, std::string_view data) {
        if (subject != own) fleet->on_calls(data);
      });
      fleet_subscriber->subscribe(std::string(bus::kAllHeartbeats),
                                  [&fleet](std::string_view, std::string_view data) { fleet->on_heartbeat(data); });
      // Alerts and acknowledgements only (the ".notify" events): the rest is not the wallboard's.
      fleet_subscriber->subscribe(std::string(bus::kNotifyEvents),
                                  [&fleet](std::string_view subject, std::string_view data) { fleet->on_event(subject, data); });
    } else {
      // --no-fleet-view: our calls still go to the others' wallboards; theirs are not read.
      dashboard.feed().set_instance(instance_id);
      calls_for_bus = [&dashboard] { return dashboard.feed().fleet_message(); };
    }
    // Call views of this instance's calls on other instances' wallboards (remote_call_view.h).
    fleet_subscriber->answer(bus::view_subject(instance_id), [&dashboard, &fleet_subscriber](std::string_view data) {
      const std::optional<server::ViewRequest> request = server::decode_view_request(data);
      const net::Response response =
          request ? dashboard.answer_view(*request) : net::Response::json(400, R"({"error":"a view request that cannot be read"})");
      const std::int64_t max = fleet_subscriber->max_payload();
      return server::encode_view_answer(response, static_cast<std::size_t>(std::max<std::int64_t>(max - 256, 0)));
    });
    if (fleet) {
      view_requests = std::make_unique<bus::BusRequester>(fleet_subscriber->connection());
      server::Dashboard::RemoteViews remote;
      remote.holder = [&fleet](const std::string& call) { return fleet->holder_of(call); };
      remote.fetch = [&view_requests](const std::string& instance, const server::ViewRequest& request,
                                      std::function<void(net::Response)> reply) {
        constexpr auto kWait = std::chrono::seconds(3);
        view_requests->request(
            bus::view_subject(instance), server::encode_view_request(request), kWait,
            [reply = std::move(reply), instance](bus::BusRequester::Outcome outcome, std::string answer) {
              using Outcome = bus::BusRequester::Outcome;
              switch (outcome) {
                case Outcome::answered: return reply(server::decode_view_answer(answer));
                case Outcome::timeout:
                  return reply(net::Response::json(504, nlohmann::json{{"error", "instance " + instance + " holds the call but did not answer in 3 s"}}.dump()));
                case Outcome::no_responder:
                  return reply(net::Response::json(503, nlohmann::json{{"error", "instance " + instance + " holds the call but is not on the bus (stopped?)"}}.dump()));
                case Outcome::busy:
                  return reply(net::Response::json(503, R"({"error":"too many views of other instances' calls waiting; try again"})"));
                case Outcome::no_bus:
                  return reply(net::Response::json(503, nlohmann::json{{"error", "instance " + instance + " holds the call; the bus is unreachable"}}.dump()));
              }
            });
      };
      dashboard.set_remote(std::move(remote));
    }
    // Acknowledgements made on other instances' wallboards of alerts this instance holds.
    fleet_subscriber->subscribe(bus::acks_subject(instance_id), [&hub, &log](std::string_view, std::string_view data) {
      const nlohmann::json ack = nlohmann::json::parse(data, nullptr, false);
      const auto user = ack.is_object() ? server::DashboardAccess::clean_user_name(ack.value("user", std::string())) : std::nullopt;
      if (!user || !ack.contains("seq") || !ack["seq"].is_number_unsigned() || !ack.contains("call") || !ack["call"].is_string()) {
        log.write("bus_ack_refused", "an acknowledgement from the bus could not be read");
        return;
      }
      hub.acknowledge(ack["call"].get<std::string>(), ack["seq"].get<std::uint64_t>(), *user);
    });
  }
  // The bus's thread calls into the registry, the dashboard feed and the log: it stops
  // before they go, however this function is left (the normal way stops it further down).
  struct StopBus {
    bus::BusPublisher* bus;
    std::atomic<const bus::ConnectionState*>& fleet_connection;
    ~StopBus() {
      fleet_connection = nullptr;  // the subscriber goes next
      if (bus != nullptr) bus->stop();
    }
  } const stop_bus{bus.get(), fleet_connection};
  warn_exposure(listen, {audiosocket, audiosocket_agent}, dashboard.access().token_required(), !tls_cert.empty(), err);
  std::atomic<bool> ready{true};
  net::ServerConfig config;
  config.listen = listen;
  config.tls_cert_file = tls_cert;
  config.tls_key_file = tls_key;
  config.io_threads = io_threads;
  const std::size_t listeners = 1 + !audiosocket.empty() + !audiosocket_agent.empty();
  const ConnectionCaps caps =
      connection_caps(max_connections, max_connections_per_address, descriptors, max_calls, listeners, err);
  config.max_connections = caps.per_listener;
  config.max_connections_per_address = caps.per_address;
  std::unique_ptr<net::HttpServer> http;
  // However this function is left: no call view waits on the bus once the network threads
  // and their connections go (they are destroyed before view_requests).
  struct CloseViews {
    std::unique_ptr<bus::BusRequester>& requests;
    ~CloseViews() {
      if (requests) requests->close();
    }
  } const close_views{view_requests};
  server::ApiContext api{*registry, hub, metrics, {}, [&] { return ready.load(); }};
  api.before_metrics = [&] { registry->publish_live_counters(); };
  if (fleet) {
    api.forward_ack = [&](const std::string& call, std::uint64_t seq, const std::string& user) {
      using Outcome = server::ForwardedAck::Outcome;
      const auto holder = fleet->alert_holder(call, seq);
      if (!holder) return server::ForwardedAck{Outcome::unknown, ""};
      if (!holder->open) return server::ForwardedAck{Outcome::already, holder->instance};
      const std::string request = nlohmann::json{{"call", call}, {"seq", seq}, {"user", user}}.dump();
      if (!bus->send(bus::acks_subject(holder->instance), request)) return server::ForwardedAck{Outcome::unavailable, holder->instance};
      return server::ForwardedAck{Outcome::sent, holder->instance};
    };
  }
  api.on_stream_request = [&log](const std::string& call, const std::string& request, const std::string& user) {
    log.write("stream_" + request + "_requested", request + " of call " + call + "'s stream asked by " + user,
              {{"call", call}, {"request", request}, {"user", user}});
  };
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
           "# HELP tonewatch_connections_refused_total Connections closed on accept or upgrade for a connection limit\n"
           "# TYPE tonewatch_connections_refused_total counter\n"
           "tonewatch_connections_refused_total{limit=\"listener\"} " + std::to_string(s.refused_listener_full.load()) + "\n" +
           "tonewatch_connections_refused_total{limit=\"address\"} " + std::to_string(s.refused_address_full.load()) + "\n" +
           "tonewatch_connections_refused_total{limit=\"feed\"} " + std::to_string(s.refused_route_full.load()) + "\n" +
           stat_line("tonewatch_accept_backoffs_total",
                     "Accepts that failed for want of descriptors or memory (EMFILE, ENFILE, ...), each followed by a pause",
                     "counter", s.accept_backoffs) +
           stat_line("tonewatch_feed_dropped_total", "Feed messages dropped for slow readers", "counter", s.outbox_dropped) +
           stat_line("tonewatch_event_queue_dropped_total", "Events dropped between analysis and delivery (queue full)", "counter", events.dropped()) +
           stat_line("tonewatch_event_queue_depth", "Events waiting for delivery", "gauge", events.queued()) +
           stat_line("tonewatch_heap_bytes", "Bytes of heap in use (glibc mallinfo2)", "gauge", mallinfo2().uordblks) +
           (webhook ? webhook_metrics(webhook->stats()) : std::string()) + (siprec ? siprec->metrics_text() : std::string()) +
           (bus ? bus_metrics(*bus) : std::string()) + (fleet ? fleet_metrics(*fleet) : std::string()) +
           (webhook_queue ? stat_line("tonewatch_bus_webhook_events_total", "Alerts this instance delivered for the fleet from the bus's queue",
                                      "counter", webhook_queue->stats().handled) +
                                stat_line("tonewatch_bus_webhook_redelivered_total",
                                          "... of which another instance had been given first (it stopped or died)", "counter",
                                          webhook_queue->stats().redelivered)
                          : std::string()) +
           process_metrics(start_unix_s, model_label);
  };
  config.http = [&](const net::Request& r) {
    net::Response response = server::handle_api(api, r);
    return response.status == 0 ? net::Response::text(404, "not found\n") : response;
  };
  auto ws = [&](std::string path, net::WebSocketOpener open) {
    net::WebSocketRoute route;
    route.path = std::move(path);
    route.open = std::move(open);
    route.max_message_bytes = std::max(max_message_bytes, max_json_bytes);  // the adapters tell text from binary
    route.idle_timeout_s = idle_timeout_s;
    config.websockets.push_back(std::move(route));
  };
  ws("/twilio", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response& refusal) {
    return server::open_twilio(ingest, r, o, refusal);
  });
  ws("/stream", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response& refusal) {
    return server::open_generic(ingest, r, o, refusal);
  });
  ws("/audiohook", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response& refusal) {
    return server::open_audiohook(ingest, r, o, refusal);
  });
  ws("/events", [&](const net::Request& r, std::shared_ptr<net::Outbox> o, net::Response&) { return server::open_event_feed(hub, r, o); });
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
  for (net::WebSocketRoute& route : config.websockets) {
    if (route.path == "/events" || route.path == "/dashboard/feed") {
      // A feed reader only listens: idle means not answering pings, and there is a
      // cap on how many are open (each gets every tick and event).
      route.idle_by_ping = true;
      route.idle_timeout_s = feed_idle_timeout_s;
      route.max_connections = max_feed_clients;
    }
  }
  if (webhook_queue) webhook_queue->start();
  if (bus) {
    // Before anything listens: an unreadable credentials or CA file is an error at start.
    heartbeat_for_bus = [&registry, &bus_http_port] {
      return nlohmann::json({{"http_port", bus_http_port.load()}, {"active_calls", registry->active_count()}});
    };
    bus->start();
  }
  http = std::make_unique<net::HttpServer>(std::move(config));
  http->start();
  if (siprec) siprec->start();
  dashboard.start();
  if (bus) bus_http_port = http->http_port();
  std::string listening = "listening on " + std::string(tls_cert.empty() ? "http://" : "https://") +
                          listen.substr(0, listen.rfind(':')) + ":" + std::to_string(http->http_port()) +
                          "/ (dashboard; /twilio, /stream, /audiohook, /events, /metrics, /api/calls)";
  const auto tcp_ports = http->tcp_ports();
  nlohmann::json where = {{"http_port", http->http_port()}, {"out", out_dir}};
  if (!audiosocket.empty()) {
    listening += ", AudioSocket callers on port " + std::to_string(tcp_ports.at(0));
    where["audiosocket_caller_port"] = tcp_ports.at(0);
  }
  if (!audiosocket_agent.empty()) {
    listening += ", agents on port " + std::to_string(tcp_ports.back());
    where["audiosocket_agent_port"] = tcp_ports.back();
  }
  if (siprec) {
    listening += ", SIPREC (SIP " + siprec_options.transport + ") on port " + std::to_string(siprec->sip_port());
    where["siprec_port"] = siprec->sip_port();
    if (siprec->sip_tls_port() != 0) {
      listening += ", SIP over TLS on port " + std::to_string(siprec->sip_tls_port());
      where["siprec_tls_port"] = siprec->sip_tls_port();
    }
  }
  log.write("listening", listening + "; outputs in " + out_dir + "/", where);

  int signal = 0;
  sigwait(&signals, &signal);
  log.write("stopping",
            std::string(signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": no new calls; finishing " +
                std::to_string(registry->active_count()) + " call(s) in progress",
            {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}, {"active_calls", registry->active_count()}});
  ready = false;
  registry->close();
  if (siprec) siprec->stop();  // BYE to every SRC; their calls end and are written
  http->stop_accepting();
  dashboard.stop();
  if (view_requests) view_requests->close();  // call views waiting on another instance: 503 now
  http->stop();              // closes every connection: their legs end and the calls finish
  hub.clear_subscribers();   // feed connections the close handshake did not reach
  workers.stop_all_calls();  // calls whose legs are still joining end too
  workers.wait_idle(600.0);
  events.flush();
  if (bus) bus->stop(std::chrono::seconds(10));  // what waits for the bus gets 10 s to go
  // Alerts still on the bus are the fleet's: another instance (or the next start) delivers them.
  if (webhook_queue) webhook_queue->stop();
  if (webhook && !webhook->flush(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
    log.write("webhook_unflushed", "webhook receivers did not take every alert in 10 s; the rest waits in the spool for the next start");
  }
  log.write("stopped", "stopped; every call's outputs are in " + out_dir + "/", {{"out", out_dir}});
  return 0;
}

}  // namespace tw::app
