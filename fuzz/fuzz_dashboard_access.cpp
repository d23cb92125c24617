// libFuzzer target: what the dashboard reads from a browser before anyone is
// logged in — the Cookie header (cookie_value), a session value from it
// (DashboardAccess::verify_session), and a user name typed at login
// (clean_user_name). Properties: a cookie value is a piece of the header; a
// session never verifies to a name that login would refuse; every name login
// accepts survives make_session -> verify_session unchanged, and not a second
// after it expires.

#include <cstdint>
#include <string>
#include <string_view>

#include "server/dashboard_access.h"

namespace {
const tw::server::DashboardAccess& access() {
  static const tw::server::DashboardAccess instance(tw::server::AccessConfig{"fuzz-token-0123456789", true, 3600.0, {}});
  return instance;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::int64_t kNow = 1'800'000'000;

  const std::string value = tw::server::cookie_value(text, tw::server::DashboardAccess::kCookieName);
  if (!value.empty() && text.find(value) == std::string_view::npos) __builtin_trap();

  for (const std::string_view candidate : {std::string_view(value), text}) {
    if (const auto user = access().verify_session(candidate, kNow)) {
      const auto clean = tw::server::DashboardAccess::clean_user_name(*user);
      if (!clean || *clean != *user) __builtin_trap();
    }
  }

  if (const auto name = tw::server::DashboardAccess::clean_user_name(text)) {
    const std::string session = access().make_session(*name, kNow);
    const auto back = access().verify_session(session, kNow);
    if (!back || *back != *name) __builtin_trap();
    if (access().verify_session(session, kNow + 3601)) __builtin_trap();
  }
  return 0;
}
