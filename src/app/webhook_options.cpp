#include "app/webhook_options.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace tw::app {

void WebhookOptions::add_to(CLI::App* cmd, const std::string& what) {
  cmd->add_option("--webhook", urls, what);
  cmd->add_option("--webhook-secret", secret,
                  "Sign webhook bodies with HMAC-SHA256 and this secret (or set TONEWATCH_WEBHOOK_SECRET)");
  cmd->add_option("--webhook-spool", spool,
                  "Where alerts wait until each webhook has taken them, across restarts (default <out>/.webhook-spool)");
  cmd->add_option("--webhook-spool-max-mb", spool_max_mb, "Bound on the spool; past it the oldest alert goes")
      ->check(CLI::Range(0.01, 1e6))
      ->capture_default_str();
}

std::unique_ptr<alerts::WebhookSink> WebhookOptions::make_sink(const std::string& out_dir, std::ostream& err,
                                                               const std::string& log_prefix, bool by_event_key) const {
  if (urls.empty()) return nullptr;
  alerts::WebhookConfig w;
  w.urls = urls;
  const char* env_secret = std::getenv("TONEWATCH_WEBHOOK_SECRET");
  w.secret = !secret.empty() ? secret : (env_secret != nullptr ? env_secret : "");
  w.spool_directory = spool.empty() ? std::filesystem::path(out_dir) / ".webhook-spool" : std::filesystem::path(spool);
  w.spool_max_bytes = static_cast<std::uint64_t>(spool_max_mb * 1024.0 * 1024.0);
  w.key_by_event_sequence = by_event_key;
  if (w.secret.empty()) {
    err << log_prefix << "warning: webhooks are not signed: a receiver cannot tell tonewatch's alerts from anyone's "
        << "(--webhook-secret or TONEWATCH_WEBHOOK_SECRET; receivers check X-Tonewatch-Signature)\n";
  }
  // Delivery threads log; one line at a time.
  w.log = [&err, log_prefix](const std::string& line) {
    static std::mutex log_mutex;
    std::lock_guard<std::mutex> lock(log_mutex);
    err << log_prefix << "webhook: " << line << "\n";
    err.flush();
  };
  return std::make_unique<alerts::WebhookSink>(std::move(w));
}

}  // namespace tw::app
