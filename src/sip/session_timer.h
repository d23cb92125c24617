#pragma once
// SIP session timers (RFC 4028) as the UAS of an INVITE: the Session-Expires and Min-SE
// header values, and what to answer (§9). Pure code: the signalling (src/siprec) reads the
// headers, calls decide_session_timer, writes the answer's headers and runs the clock.
//
// A recording server is a passive party: it prefers the SRC to refresh (refresher=uac),
// and refreshes itself only when the SRC asks it to (§9: a refresher parameter in the
// request is copied) or cannot (an SRC without timer support: refresher=uas).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tw::sip {

/// RFC 4028 §4, §5: the lowest Session-Expires and Min-SE a UA may ask for, and the
/// Min-SE a UA uses when it has none configured.
inline constexpr std::uint32_t kMinSessionExpiresS = 90;

/// Who refreshes the session (RFC 4028 §4, the refresher parameter).
enum class Refresher { uac, uas };

/// "uac" or "uas".
std::string_view to_string(Refresher refresher) noexcept;

/// A Session-Expires value: `delta-seconds *(;se-params)` (RFC 4028 §4).
struct SessionExpires {
  std::uint32_t seconds = 0;
  std::optional<Refresher> refresher;  ///< absent: the request leaves it to the UAS
};

/// The Session-Expires in `value` ("1800;refresher=uac"); nullopt when it is not
/// delta-seconds (1*DIGIT) or the refresher is neither uac nor uas. Values past 2^32-1
/// seconds are taken as 2^32-1 (RFC 3261 §25.1 delta-seconds has no bound).
std::optional<SessionExpires> parse_session_expires(std::string_view value);

/// The Min-SE in `value` ("90", RFC 4028 §5: delta-seconds *(;generic-param)); nullopt when malformed.
std::optional<std::uint32_t> parse_min_se(std::string_view value);

/// What an INVITE said about session timers, read from its headers.
struct SessionTimerRequest {
  std::optional<std::string> session_expires;  ///< the Session-Expires header's value, if any
  std::optional<std::string> min_se;           ///< the Min-SE header's value, if any
  bool uac_supports_timer = false;             ///< `timer` in Supported or Require
};

/// The answer to those headers (RFC 4028 §9).
struct SessionTimerDecision {
  enum class Kind {
    none,       ///< no Session-Expires: the session has no timer (we insert none, §9 "MAY")
    run,        ///< accepted: answer with response_headers() and run the timer
    too_small,  ///< 422 Session Interval Too Small with `Min-SE: min_se_s` (§6, §9)
    malformed,  ///< 400 Bad Request: a Session-Expires or Min-SE we cannot read
  };
  Kind kind = Kind::none;
  std::uint32_t interval_s = 0;  ///< with run: the session interval
  Refresher refresher = Refresher::uac;
  std::uint32_t min_se_s = 0;  ///< with too_small: our minimum
  std::string detail;          ///< with too_small and malformed: why, for the Warning and the log

  /// With run: the headers of every 2xx for this session, CRLF-terminated:
  /// `Session-Expires: N;refresher=X`, and `Require: timer` when the SRC refreshes (§9:
  /// the UAC must then apply the extension).
  std::string response_headers() const;
};

/// RFC 4028 §9 as a UAS that never lowers the interval it is offered: a Session-Expires
/// below `min_se_s` (kMinSessionExpiresS in service; tests use less) is refused 422 when
/// the UAC supports timers, and raised to `min_se_s` when it does not (it would not
/// understand 422); otherwise the offered
/// interval is taken, the refresher the request names is kept, and with none named the
/// SRC refreshes if it supports timers (we are the passive side) and we do otherwise.
SessionTimerDecision decide_session_timer(const SessionTimerRequest& request, std::uint32_t min_se_s);

/// When the side that does not refresh gives up on a session: at the interval minus
/// min(32 s, interval / 3) (RFC 4028 §10), in milliseconds from the last refresh.
std::uint64_t expiry_deadline_ms(std::uint32_t interval_s) noexcept;

/// When the refresher refreshes: half the interval after the last refresh (RFC 4028 §10), in ms.
std::uint64_t refresh_due_ms(std::uint32_t interval_s) noexcept;

}  // namespace tw::sip
