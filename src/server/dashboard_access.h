#pragma once
// Who may see the dashboard and its data. Without a token the server is meant for
// the machine it runs on (serve listens on 127.0.0.1 by default): everything is
// open, and a loopback listener only answers requests addressed to a loopback
// name, so a web page elsewhere cannot reach it through DNS rebinding. With a
// token (--dashboard-token or --dashboard-token-file), every page, API call, feed
// and /metrics needs either `Authorization: Bearer TOKEN` (programs, Prometheus)
// or a login session: a cookie that names the user and carries an HMAC-SHA256 of
// that name and its expiry under the token, so a login survives a server restart
// and the token itself never sits in the browser. The ingest endpoints (/twilio,
// /stream, /audiohook, AudioSocket) and /healthz, /readyz are not covered: the
// platforms authenticate their own way, and probes reveal nothing.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection_handler.h"

namespace tw::server {

struct AccessConfig {
  std::string token;              ///< empty: no token; everything is open to whoever reaches the listener
  bool loopback_listener = true;  ///< the listener is on a loopback address (then, without a token, only loopback Host names are served)
  double session_s = 12 * 3600.0; ///< how long a login lasts (a shift)
  /// Host names served besides the loopback ones (the listen address, say), compared
  /// whole and case-insensitively with the Host header's name (RFC 9110 §7.2).
  std::vector<std::string> host_names;
};

/// The outcome of checking one request.
struct AccessDecision {
  bool allowed = false;
  int status = 401;          ///< when refused: 401 (no or bad credentials) or 403 (foreign origin or host)
  std::string reason;        ///< when refused, for the response body
  std::string user;          ///< the logged-in user of a session; empty otherwise
  bool via_session = false;  ///< allowed by a session cookie (a browser)
  bool wrong_token = false;  ///< refused for a bearer token that is not the token (a guess: LoginThrottle counts it)
};

class DashboardAccess {
 public:
  /// Throws std::invalid_argument for a token with spaces or control characters
  /// (it could not be sent in an Authorization header) or shorter than 8 characters.
  explicit DashboardAccess(AccessConfig config);

  bool token_required() const noexcept { return !config_.token.empty(); }

  /// Checks a request for a protected page, endpoint or feed. `state_changing`
  /// (a POST, a WebSocket upgrade): an Origin header, when sent, must name the
  /// host the request was sent to (cross-site requests and WebSocket hijacking).
  AccessDecision check(const net::Request& request, bool state_changing) const;

  /// True if `candidate` is the token. Constant time in the candidate's content
  /// and length: SHA-256 digests are compared with CRYPTO_memcmp.
  bool token_matches(std::string_view candidate) const;

  /// A session value for `user`, valid for session_s from `now_unix_s`.
  std::string make_session(const std::string& user, std::int64_t now_unix_s) const;
  /// The user of a well-formed, authentic, unexpired, not revoked session value; nullopt otherwise.
  std::optional<std::string> verify_session(std::string_view value, std::int64_t now_unix_s) const;
  /// Ends a session before its expiry (logout): a valid `value` never verifies
  /// again, in this process. Sessions are stateless HMAC values, so the server
  /// remembers the revoked ones until they would have expired anyway (at most
  /// kMaxRevoked; past that the oldest-expiring is forgotten first). Thread-safe.
  /// Returns false if `value` was not a valid session.
  bool revoke(std::string_view value, std::int64_t now_unix_s);
  static constexpr std::size_t kMaxRevoked = 100000;

  /// Set-Cookie values that log in (HttpOnly, SameSite=Strict, Secure over TLS) and out.
  std::string login_cookie(const std::string& session_value, bool tls) const;
  std::string logout_cookie(bool tls) const;

  /// A user name as given at login, trimmed; nullopt if empty, longer than 64
  /// bytes, or holding control characters.
  static std::optional<std::string> clean_user_name(std::string_view name);

  static constexpr std::string_view kCookieName = "tw_session";

 private:
  std::string mac_hex(std::string_view message) const;
  bool served_host(const std::string& host) const;  // lower-case, without port or brackets
  std::optional<std::string> authentic_session(std::string_view value, std::int64_t now_unix_s, std::int64_t* expires) const;

  AccessConfig config_;
  mutable std::mutex revoked_mutex_;
  std::multimap<std::int64_t, std::string> revoked_by_expiry_;  // expiry -> session value
  std::set<std::string, std::less<>> revoked_;
};

/// Failed logins and wrong bearer tokens, per remote address: past `max_failures`
/// within `window_s` the address is refused (429) until its window ends, whatever
/// it sends, so a guesser gets max_failures guesses a window, not thousands.
/// Thread-safe; one lock per authentication attempt.
class LoginThrottle {
 public:
  struct Config {
    std::size_t max_failures = 10;
    double window_s = 60.0;
    std::size_t max_addresses = 10000;  ///< addresses remembered; past it, expired windows are dropped, then the oldest
  };
  LoginThrottle() : LoginThrottle(Config{}) {}
  explicit LoginThrottle(Config config) : config_(config) {}

  /// Seconds until `address` may try again (0: it may try now).
  double blocked_for_s(const std::string& address, double now_s) const;
  /// Counts one failure; returns the failures of the address's current window.
  std::size_t failed(const std::string& address, double now_s);
  const Config& config() const noexcept { return config_; }

 private:
  struct Window {
    double start_s = 0.0;
    std::size_t failures = 0;
  };
  const Config config_;
  mutable std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

/// The address part of a Request::remote ("1.2.3.4:5678" or "[::1]:5678" -> "1.2.3.4", "::1").
std::string remote_address(std::string_view remote);

/// True if `host_name` (no port, no brackets) names this machine's loopback
/// interface: "localhost" or a name under it (RFC 6761 §6.3), an IPv4 literal in
/// 127.0.0.0/8 or the IPv6 literal ::1. Anything else, "127.evil.example"
/// included, is a DNS name. Case-insensitive.
bool is_loopback_name(std::string_view host_name);

/// A cookie's value from a Cookie header ("a=1; b=2"), or empty.
std::string cookie_value(std::string_view cookie_header, std::string_view name);

/// The current time, seconds since the Unix epoch.
std::int64_t unix_now_s();

}  // namespace tw::server
