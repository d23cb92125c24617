// libFuzzer target: an event file of the webhook spool as read back from disk
// (which may be damaged). The promises checked: never throws or crashes; what it
// accepts has a header-safe key and a braced body, and formats back to the same bytes.

#include <cstdint>
#include <string_view>

#include "alerts/webhook_spool.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const auto event = tw::alerts::parse_spooled_event(content);
  if (!event) return 0;
  if (event->idempotency_key.empty()) __builtin_trap();
  for (char c : event->idempotency_key) {
    if (c < 0x21 || c > 0x7e) __builtin_trap();
  }
  if (event->body.front() != '{' || event->body.back() != '}') __builtin_trap();
  if (tw::alerts::format_spooled_event(*event) != content) __builtin_trap();
  return 0;
}
