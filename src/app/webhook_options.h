#pragma once
// The --webhook flags `serve` and `live` share, and the sink they make.

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "alerts/webhook_sink.h"

namespace tw::app {

struct WebhookOptions {
  std::vector<std::string> urls;
  std::string secret;      ///< or TONEWATCH_WEBHOOK_SECRET in the environment
  std::string spool;       ///< default <out>/.webhook-spool
  double spool_max_mb = 64.0;

  /// Adds --webhook (described by `what`), --webhook-secret, --webhook-spool and
  /// --webhook-spool-max-mb to `cmd`.
  void add_to(CLI::App* cmd, const std::string& what);
  /// The sink for the URLs (nullptr when there are none), its spool under
  /// `out_dir` unless --webhook-spool says otherwise, its log lines on `err`
  /// after `log_prefix`.
  /// `by_event_key`: the Idempotency-Key from the event's identity (in a fleet on the bus).
  std::unique_ptr<alerts::WebhookSink> make_sink(const std::string& out_dir, std::ostream& err,
                                                 const std::string& log_prefix, bool by_event_key = false) const;
};

}  // namespace tw::app
