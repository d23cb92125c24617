#pragma once
// The wall-clock time the dashboard and the alert history stamp things with.

#include <chrono>
#include <cstdint>

namespace tw::server {

/// Milliseconds since the Unix epoch, now (system clock: what a browser shows as a time of day).
inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tw::server
