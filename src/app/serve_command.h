#pragma once
// `tonewatch serve`: live monitoring of calls in progress, from telephony media streams.

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

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
  std::string record_dir;
  double leg_buffer_s = 1.0;
  std::size_t max_calls = 1000;
  unsigned worker_threads = 0;
  unsigned io_threads = 1;
  std::string tls_cert, tls_key;
  std::vector<std::string> audiohook_keys;  ///< KEY or KEY:SECRET
  double idle_timeout_s = 30.0;
  std::size_t max_message_bytes = 256 * 1024;
  bool quiet = false;  ///< no JSON lines on stdout
  std::string log_format = "text";  ///< stderr log lines: text or json
  std::string dashboard_token;       ///< required by every page, API call and feed when set
  std::string dashboard_token_file;  ///< the token's file (kept out of the process list)

  CLI::App* add_to(CLI::App& app);
  /// Runs until SIGINT or SIGTERM; returns the exit code (0 after a clean shutdown).
  int run(std::ostream& out, std::ostream& err);
};

}  // namespace tw::app
