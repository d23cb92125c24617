#pragma once
// `tonewatch serve`: live monitoring of calls in progress, from telephony media streams.

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "app/bus_options.h"
#include "app/siprec_options.h"
#include "app/webhook_options.h"

namespace tw::app {

struct ServeCommand {
  std::string listen = "127.0.0.1:8080";
  std::string audiosocket;        ///< caller legs (or single legs)
  std::string audiosocket_agent;  ///< agent legs
  std::string out_dir = "tonewatch-out";
  std::string config_path;
  std::string model_path;
  WebhookOptions webhook_options;
  SiprecOptions siprec_options;
  BusOptions bus_options;
  std::string record_dir;
  double leg_buffer_s = 1.0;
  std::size_t max_calls = 1000;
  unsigned worker_threads = 0;
  double analysis_block_ms = 200.0;   ///< audio a call gathers before a worker analyses it (WorkerPool block_s)
  unsigned io_threads = 1;
  std::string tls_cert, tls_key;
  std::vector<std::string> audiohook_keys;  ///< KEY or KEY:SECRET
  std::vector<std::string> ingest_origins;  ///< browser origins allowed on the ingest endpoints
  double idle_timeout_s = 30.0;
  std::size_t max_message_bytes = 256 * 1024;  ///< binary (audio) WebSocket messages
  std::size_t max_json_bytes = 64 * 1024;      ///< text (JSON) WebSocket messages
  int max_json_depth = 32;                     ///< JSON nesting of any ingest message
  std::size_t max_metadata_bytes = 4096;       ///< platform metadata kept per call
  double max_call_s = 8 * 3600.0;              ///< a call is ended after this much audio (0: no limit)
  std::size_t max_connections = 0;              ///< per listener; 0: from the open-file limit
  std::size_t max_connections_per_address = 0;  ///< per listener and remote address; 0: half of the above
  double feed_idle_timeout_s = 60.0;            ///< /events and /dashboard/feed readers that answer no ping
  std::size_t max_feed_clients = 256;           ///< per feed path
  bool quiet = false;  ///< no JSON lines on stdout
  std::string log_format = "text";  ///< stderr log lines: text or json
  std::string dashboard_token;       ///< required by every page, API call and feed when set
  std::string dashboard_token_file;  ///< the token's file (kept out of the process list)
  std::string options_file;          ///< options read from this file (the command line wins)
  bool print_options_file = false;   ///< print every option as an options file and exit

  CLI::App* add_to(CLI::App& app);
  /// Runs until SIGINT or SIGTERM; returns the exit code (0 after a clean shutdown).
  int run(std::ostream& out, std::ostream& err);

 private:
  CLI::App* command_ = nullptr;  ///< the subcommand add_to made (for --print-options-file)
};

}  // namespace tw::app
