#include "server/server_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "server/log_text.h"

namespace tw::server {
namespace {

// RFC 3339 UTC time with milliseconds, as log shippers parse it.
std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
  return text;
}

}  // namespace

void ServerLog::write(const std::string& event, const std::string& message, const nlohmann::json& fields) const {
  if (out == nullptr) return;
  if (!json) {
    // Call ids, addresses and reasons come from outside: escaped (log_text.h).
    log_line(out, message);
    return;
  }
  nlohmann::json j = {{"ts", utc_now()}, {"event", event}, {"message", message}};
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) j[key] = value;
  }
  // JSON escapes every control character itself; bytes that are not UTF-8 are replaced.
  write_log_line(out, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace tw::server
