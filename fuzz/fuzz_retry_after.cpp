// libFuzzer target: a receiver's Retry-After header value (RFC 9110 §10.2.3), as the
// webhook sender reads it from any HTTP response. The promises checked: never throws
// or crashes, and a delay is never negative; delay-seconds read back exactly.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "alerts/webhook_retry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  constexpr std::int64_t kNow = 1700000000;
  const auto delay = tw::alerts::parse_retry_after(value, kNow);
  if (delay && delay->count() < 0) __builtin_trap();
  // A short run of digits is delay-seconds and must come back as that number.
  if (!value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (!delay || delay->count() != std::stoll(std::string(value))) __builtin_trap();
  }
  return 0;
}
