// Who may see the dashboard: sessions that name their user and survive restarts
// but not tampering or expiry, the token compared whole, foreign origins and
// (without a token) foreign host names refused.

#include <catch2/catch.hpp>

#include "server/dashboard_access.h"
#include "support/config_checks.h"

namespace {

using tw::server::AccessConfig;
using tw::server::DashboardAccess;

constexpr const char* kToken = "s3cret-token-of-the-floor";

tw::net::Request request(const std::string& host, std::vector<std::pair<std::string, std::string>> headers = {}) {
  tw::net::Request r;
  r.method = "GET";
  r.path = r.target = "/api/calls";
  r.headers["host"] = host;
  for (auto& [k, v] : headers) r.headers[k] = v;
  return r;
}

DashboardAccess with_token(double session_s = 3600.0) {
  AccessConfig c;
  c.token = kToken;
  c.session_s = session_s;
  return DashboardAccess(c);
}

}  // namespace

TEST_CASE("dashboard sessions name their user until they expire", "[server][dashboard][access]") {
  const DashboardAccess access = with_token(3600.0);
  const std::int64_t now = 1'800'000'000;
  const std::string name = "Ana Mar\xc3\xad" "a; \"lead\"";  // UTF-8, a separator and quotes
  const std::string session = access.make_session(name, now);
  // Cookie-safe: base64url, digits, dots, hex.
  CHECK(session.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos);
  CHECK(access.verify_session(session, now) == std::optional<std::string>(name));
  CHECK(access.verify_session(session, now + 3599) != std::nullopt);
  CHECK(access.verify_session(session, now + 3600) == std::nullopt);  // expired

  SECTION("a session survives a restart: the same token verifies it") {
    CHECK(with_token(3600.0).verify_session(session, now + 10) != std::nullopt);
  }
  SECTION("another token does not") {
    AccessConfig c;
    c.token = "another-token-entirely";
    CHECK(DashboardAccess(c).verify_session(session, now) == std::nullopt);
  }
  SECTION("any change to any part is refused") {
    for (std::size_t i = 0; i < session.size(); ++i) {
      std::string bad = session;
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      INFO("changed byte " << i);
      CHECK(access.verify_session(bad, now) == std::nullopt);
    }
    CHECK(access.verify_session(session.substr(0, session.size() - 1), now) == std::nullopt);
    CHECK(access.verify_session(session + "0", now) == std::nullopt);
    CHECK(access.verify_session("", now) == std::nullopt);
    CHECK(access.verify_session("v1...", now) == std::nullopt);
    CHECK(access.verify_session("v2....", now) == std::nullopt);
  }
  SECTION("without a token there are no sessions") {
    CHECK(DashboardAccess(AccessConfig{}).verify_session(session, now) == std::nullopt);
  }
}

TEST_CASE("the dashboard token is compared whole", "[server][dashboard][access]") {
  const DashboardAccess access = with_token();
  CHECK(access.token_matches(kToken));
  CHECK_FALSE(access.token_matches(std::string(kToken).substr(0, 10)));
  CHECK_FALSE(access.token_matches(std::string(kToken) + "x"));
  CHECK_FALSE(access.token_matches(""));
  CHECK_FALSE(DashboardAccess(AccessConfig{}).token_matches(""));
}

TEST_CASE("dashboard access with a token / bearer or session", "[server][dashboard][access]") {
  const DashboardAccess access = with_token();
  const std::string host = "10.0.0.5:8080";
  CHECK(access.check(request(host), false).status == 401);
  CHECK_FALSE(access.check(request(host), false).allowed);

  auto bearer = access.check(request(host, {{"authorization", std::string("Bearer ") + kToken}}), false);
  CHECK(bearer.allowed);
  CHECK(bearer.user.empty());
  CHECK_FALSE(bearer.via_session);
  CHECK(access.check(request(host, {{"authorization", std::string("bearer ") + kToken}}), false).allowed);
  CHECK(access.check(request(host, {{"authorization", "Bearer nope-nope-nope"}}), false).status == 401);
  CHECK(access.check(request(host, {{"authorization", std::string("Basic ") + kToken}}), false).status == 401);

  const std::string cookie = "theme=dark; tw_session=" + access.make_session("Dana", tw::server::unix_now_s()) + "; x=1";
  auto session = access.check(request(host, {{"cookie", cookie}}), false);
  CHECK(session.allowed);
  CHECK(session.via_session);
  CHECK(session.user == "Dana");
  CHECK(access.check(request(host, {{"cookie", "tw_session=v2.RGFuYQ.9999999999.00.00"}}), false).status == 401);

  SECTION("a request from another site is refused even with a session") {
    auto r = request(host, {{"cookie", cookie}, {"origin", "http://evil.example"}});
    CHECK(access.check(r, true).status == 403);
    CHECK(access.check(r, false).allowed);  // a plain GET: browsers only send Origin cross-site, and read nothing back
    auto same = request(host, {{"cookie", cookie}, {"origin", "http://10.0.0.5:8080"}});
    CHECK(access.check(same, true).allowed);
    auto other_port = request(host, {{"cookie", cookie}, {"origin", "http://10.0.0.5:9999"}});
    CHECK(access.check(other_port, true).status == 403);
  }
}

TEST_CASE("dashboard access without a token / this machine only", "[server][dashboard][access]") {
  const DashboardAccess local{AccessConfig{}};
  CHECK(local.check(request("127.0.0.1:8080"), false).allowed);
  CHECK(local.check(request("localhost:8080"), false).allowed);
  CHECK(local.check(request("[::1]:8080"), false).allowed);
  // A name that resolves to 127.0.0.1 through DNS rebinding is still not this machine's name.
  CHECK(local.check(request("attacker.example:8080"), false).status == 403);
  CHECK(local.check(request("127.0.0.1:8080", {{"origin", "http://attacker.example:8080"}}), true).status == 403);
  CHECK(local.check(request("127.0.0.1:8080", {{"origin", "http://127.0.0.1:8080"}}), true).allowed);

  AccessConfig open;
  open.loopback_listener = false;  // --listen 0.0.0.0:8080 without a token: open, and serve warns
  CHECK(DashboardAccess(open).check(request("10.0.0.5:8080"), false).allowed);
}

TEST_CASE("dashboard cookies and user names", "[server][dashboard][access]") {
  const DashboardAccess access = with_token(12 * 3600.0);
  const std::string login = access.login_cookie("v1.x.1.ab", false);
  CHECK(login.rfind("tw_session=v1.x.1.ab;", 0) == 0);
  CHECK(login.find("HttpOnly") != std::string::npos);
  CHECK(login.find("SameSite=Strict") != std::string::npos);
  CHECK(login.find("Path=/") != std::string::npos);
  CHECK(login.find("Max-Age=43200") != std::string::npos);
  CHECK(login.find("Secure") == std::string::npos);
  CHECK(access.login_cookie("v", true).find("; Secure") != std::string::npos);
  CHECK(access.logout_cookie(false).find("Max-Age=0") != std::string::npos);

  CHECK(DashboardAccess::clean_user_name("  Dana  ") == std::optional<std::string>("Dana"));
  CHECK(DashboardAccess::clean_user_name("   ") == std::nullopt);
  CHECK(DashboardAccess::clean_user_name("a\nb") == std::nullopt);
  CHECK(DashboardAccess::clean_user_name(std::string(65, 'x')) == std::nullopt);
  CHECK(DashboardAccess::clean_user_name(std::string(64, 'x')) != std::nullopt);

  CHECK(tw::server::cookie_value("a=1; tw_session=abc; b=2", "tw_session") == "abc");
  CHECK(tw::server::cookie_value("tw_session2=no; a=1", "tw_session").empty());
}

TEST_CASE("an unusable dashboard token is refused at start", "[server][dashboard][access]") {
  auto make = [](const std::string& token) {
    return [token] {
      AccessConfig c;
      c.token = token;
      DashboardAccess a(c);
    };
  };
  tw::test::check_rejected("no spaces", make("has a space in it"), "token");
  tw::test::check_rejected("no control characters", make("line\nbreak-token"), "token");
  tw::test::check_rejected("at least 8 characters", make("short"), "token");
}

TEST_CASE("loopback host names are matched whole / a name starting with 127. is a DNS name", "[server][dashboard][access][security]") {
  using tw::server::is_loopback_name;
  for (const char* name : {"localhost", "LocalHost", "app.localhost", "127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1"}) {
    INFO(name);
    CHECK(is_loopback_name(name));
  }
  for (const char* name : {"127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "127.1", "127.0.0.1.",
                           "128.0.0.1", "::2", "", "evillocalhost", "0x7f.0.0.1"}) {
    INFO(name);
    CHECK_FALSE(is_loopback_name(name));
  }
  const DashboardAccess open{AccessConfig{}};
  CHECK(open.check(request("127.0.0.1:8080"), false).allowed);
  CHECK_FALSE(open.check(request("127.evil.example:18181"), false).allowed);
  CHECK_FALSE(open.check(request("127.evil.example:18181"), true).allowed);  // a WebSocket upgrade
  AccessConfig named;
  named.host_names = {"Monitor.internal"};
  const DashboardAccess with_name{named};
  CHECK(with_name.check(request("monitor.internal:8080"), false).allowed);
  CHECK_FALSE(with_name.check(request("monitor.internal.evil.example:8080"), false).allowed);
}

TEST_CASE("dashboard sessions are each their own and a revoked one never verifies again", "[server][dashboard][access][security]") {
  DashboardAccess access = with_token(3600.0);
  const std::int64_t now = 1'800'000'000;
  const std::string first = access.make_session("Dana", now), second = access.make_session("Dana", now);
  CHECK(first != second);  // the same user in the same second: two sessions
  CHECK(access.revoke(first, now + 5));
  CHECK(access.verify_session(first, now + 6) == std::nullopt);
  CHECK(access.verify_session(second, now + 6) == std::optional<std::string>("Dana"));
  CHECK_FALSE(access.revoke("v2.RGFuYQ.9999999999.00.00", now));  // not a session: nothing to revoke
}
