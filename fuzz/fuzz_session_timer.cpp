// libFuzzer target: an INVITE's Session-Expires and Min-SE values (RFC 4028 §4, §5) and
// the answer to them (sip/session_timer.h). The input is split at its first newline into
// the two values. The promises checked: never throws or crashes; an accepted interval is
// at least the minimum and is the number the value starts with (raised to the minimum for
// a UAC without timer support); the answer's headers are
// two CRLF-ended lines at most, with nothing of the input but the digits.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/session_timer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  tw::sip::SessionTimerRequest request;
  request.session_expires = std::string(input.substr(0, newline));
  if (newline != std::string_view::npos) request.min_se = std::string(input.substr(newline + 1));
  request.uac_supports_timer = size % 2 == 0;
  constexpr std::uint32_t kMinSe = 90;
  const auto decision = tw::sip::decide_session_timer(request, kMinSe);
  const std::string headers = decision.response_headers();
  using Kind = tw::sip::SessionTimerDecision::Kind;
  if (decision.kind == Kind::run) {
    if (decision.interval_s < kMinSe) __builtin_trap();
    // The offered interval, or our minimum for a UAC without timers that offered less.
    const auto parsed = tw::sip::parse_session_expires(*request.session_expires);
    if (!parsed) __builtin_trap();
    const std::uint32_t expected = request.uac_supports_timer ? parsed->seconds : std::max(parsed->seconds, kMinSe);
    if (decision.interval_s != expected) __builtin_trap();
    if (headers.rfind("Session-Expires: " + std::to_string(decision.interval_s) + ";refresher=", 0) != 0) __builtin_trap();
    std::size_t lines = 0;
    for (std::size_t at = headers.find("\r\n"); at != std::string::npos; at = headers.find("\r\n", at + 2)) ++lines;
    if (lines == 0 || lines > 2 || headers.find('\n') != headers.find("\r\n") + 1) __builtin_trap();
  } else if (!headers.empty()) {
    __builtin_trap();
  }
  if ((decision.kind == Kind::malformed || decision.kind == Kind::too_small) && decision.detail.empty()) __builtin_trap();
  if (decision.detail.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  return 0;
}
