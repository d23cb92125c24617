#include "sip/session_timer.h"

#include <algorithm>
#include <limits>

#include "sip/sip_text.h"

namespace tw::sip {

namespace {

// 1*DIGIT (RFC 3261 §25.1 delta-seconds), saturating at 2^32-1.
std::optional<std::uint32_t> parse_delta_seconds(std::string_view text) {
  text = trim_spaces_and_tabs(text);
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min<std::uint64_t>(value * 10 + static_cast<std::uint64_t>(c - '0'),
                                    std::numeric_limits<std::uint32_t>::max());
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace

std::string_view to_string(Refresher refresher) noexcept { return refresher == Refresher::uas ? "uas" : "uac"; }

std::optional<SessionExpires> parse_session_expires(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  const auto seconds = parse_delta_seconds(value.substr(0, semicolon));
  if (!seconds) return std::nullopt;
  SessionExpires parsed;
  parsed.seconds = *seconds;
  if (semicolon == std::string_view::npos) return parsed;
  const std::vector<Parameter> parameters = parse_parameters(value.substr(semicolon + 1));
  if (const Parameter* refresher = find_parameter(parameters, "refresher")) {
    // refresher-param = "refresher" EQUAL ("uas" / "uac") (§4); token values compare
    // case-insensitively like other SIP tokens.
    if (ascii_iequals(refresher->value, "uac")) {
      parsed.refresher = Refresher::uac;
    } else if (ascii_iequals(refresher->value, "uas")) {
      parsed.refresher = Refresher::uas;
    } else {
      return std::nullopt;
    }
  }
  return parsed;
}

std::optional<std::uint32_t> parse_min_se(std::string_view value) {
  return parse_delta_seconds(value.substr(0, value.find(';')));
}

std::string SessionTimerDecision::response_headers() const {
  if (kind != Kind::run) return "";
  std::string headers = "Session-Expires: " + std::to_string(interval_s) + ";refresher=" + std::string(to_string(refresher)) + "\r\n";
  if (refresher == Refresher::uac) headers += "Require: timer\r\n";
  return headers;
}

SessionTimerDecision decide_session_timer(const SessionTimerRequest& request, std::uint32_t min_se_s) {
  SessionTimerDecision decision;
  if (!request.session_expires) return decision;  // Kind::none
  const auto offered = parse_session_expires(*request.session_expires);
  if (!offered) {
    decision.kind = SessionTimerDecision::Kind::malformed;
    decision.detail = "Session-Expires '" + printable(*request.session_expires, 60) +
                      "' is not delta-seconds with refresher=uac or uas (RFC 4028 §4)";
    return decision;
  }
  if (request.min_se && !parse_min_se(*request.min_se)) {
    decision.kind = SessionTimerDecision::Kind::malformed;
    decision.detail = "Min-SE '" + printable(*request.min_se, 60) + "' is not delta-seconds (RFC 4028 §5)";
    return decision;
  }
  decision.kind = SessionTimerDecision::Kind::run;
  decision.interval_s = offered->seconds;
  if (offered->seconds < min_se_s) {
    if (request.uac_supports_timer) {
      // §9: too small an interval from a UAC that supports timers gets 422 naming our
      // Min-SE, and the UAC retries with a larger one.
      decision.kind = SessionTimerDecision::Kind::too_small;
      decision.min_se_s = min_se_s;
      decision.detail = "Session-Expires " + std::to_string(offered->seconds) + " s is below our Min-SE of " +
                        std::to_string(min_se_s) + " s (RFC 4028 §9)";
      return decision;
    }
    // §9: a UAC without timer support would not understand 422 (a proxy put the header
    // in): the interval is raised to our minimum instead, and we refresh.
    decision.interval_s = min_se_s;
  }
  // §9: a UAC without timer support cannot refresh: uas. One with it: the refresher it
  // named, copied, or the UAS's choice when it named none; ours is the SRC, the party
  // that sends media and can tell whether the call is still up.
  if (!request.uac_supports_timer) {
    decision.refresher = Refresher::uas;
  } else {
    decision.refresher = offered->refresher.value_or(Refresher::uac);
  }
  return decision;
}

std::uint64_t expiry_deadline_ms(std::uint32_t interval_s) noexcept {
  const std::uint64_t interval_ms = std::uint64_t{interval_s} * 1000;
  return interval_ms - std::min<std::uint64_t>(32'000, interval_ms / 3);
}

std::uint64_t refresh_due_ms(std::uint32_t interval_s) noexcept { return std::uint64_t{interval_s} * 1000 / 2; }

}  // namespace tw::sip
