#include "server/dashboard_access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "text/ascii.h"

namespace tw::server {
namespace {

/// "host:port" or "[v6]:port" -> the host name, lower-case, without brackets.
std::string host_name(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return text::ascii_lowered(host);
}


// base64url without padding (RFC 4648 §5): cookie-safe, for the user name.
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64Url[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kBase64Url[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::char_traits<char>::find(kBase64Url, 64, c);
    if (at == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(at - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace

bool is_loopback_name(std::string_view host_name) {
  const std::string host = text::ascii_lowered(host_name);
  // RFC 6761 §6.3: "localhost" and names under it are the loopback host, and
  // browsers resolve them so themselves, never through DNS.
  if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0)) return true;
  // An address literal, read whole (inet_pton takes exactly a dotted quad or an
  // IPv6 address): "127.evil.example" or "127.0.0.1.evil.example" is a name a web
  // page's DNS can point anywhere, not an address (issue 22: a prefix test let
  // them through).
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8 (RFC 1122 §3.2.1.3)
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

bool DashboardAccess::served_host(const std::string& host) const {
  if (is_loopback_name(host)) return true;
  for (const std::string& name : config_.host_names) {
    if (text::ascii_iequals(name, host)) return true;
  }
  return false;
}

DashboardAccess::DashboardAccess(AccessConfig config) : config_(std::move(config)) {
  if (config_.token.empty()) return;
  for (char c : config_.token) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      throw std::invalid_argument("the dashboard token must not hold spaces or control characters");
    }
  }
  if (config_.token.size() < 8) throw std::invalid_argument("the dashboard token is too short: use at least 8 characters (say 32 random ones)");
  if (!(config_.session_s > 0.0)) throw std::invalid_argument("the dashboard session length must be positive");
}

bool DashboardAccess::token_matches(std::string_view candidate) const {
  if (config_.token.empty()) return false;
  const auto a = sha256(candidate), b = sha256(config_.token);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string DashboardAccess::mac_hex(std::string_view message) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), config_.token.data(), static_cast<int>(config_.token.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

// v2.<user, base64url>.<expiry, unix s>.<nonce, 32 hex>.<HMAC-SHA256 of
// "tonewatch-session|v2|<user b64>|<expiry>|<nonce>", hex>. The random nonce makes
// every login's value its own, so a logout (revoke) ends that session and no other
// (v1 had none: two logins of one user in one second were the same value).
std::string DashboardAccess::make_session(const std::string& user, std::int64_t now_unix_s) const {
  const std::string name = base64url(user);
  const std::string expiry = std::to_string(now_unix_s + static_cast<std::int64_t>(std::llround(config_.session_s)));
  std::array<unsigned char, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) throw std::runtime_error("no random bytes for a session");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce;
  for (const unsigned char b : random) {
    nonce += kHex[b >> 4];
    nonce += kHex[b & 0xF];
  }
  return "v2." + name + "." + expiry + "." + nonce + "." +
         mac_hex("tonewatch-session|v2|" + name + "|" + expiry + "|" + nonce);
}

std::optional<std::string> DashboardAccess::verify_session(std::string_view value, std::int64_t now_unix_s) const {
  auto user = authentic_session(value, now_unix_s, nullptr);
  if (!user) return std::nullopt;
  std::lock_guard<std::mutex> lock(revoked_mutex_);
  if (revoked_.find(value) != revoked_.end()) return std::nullopt;
  return user;
}

bool DashboardAccess::revoke(std::string_view value, std::int64_t now_unix_s) {
  std::int64_t expires = 0;
  if (!authentic_session(value, now_unix_s, &expires)) return false;
  std::lock_guard<std::mutex> lock(revoked_mutex_);
  while (!revoked_by_expiry_.empty() &&
         (revoked_by_expiry_.begin()->first <= now_unix_s || revoked_.size() >= kMaxRevoked)) {
    revoked_.erase(revoked_by_expiry_.begin()->second);
    revoked_by_expiry_.erase(revoked_by_expiry_.begin());
  }
  if (revoked_.insert(std::string(value)).second) revoked_by_expiry_.emplace(expires, std::string(value));
  return true;
}

std::optional<std::string> DashboardAccess::authentic_session(std::string_view value, std::int64_t now_unix_s,
                                                              std::int64_t* expires_out) const {
  if (config_.token.empty() || value.substr(0, 3) != "v2.") return std::nullopt;
  value.remove_prefix(3);
  const std::size_t dot1 = value.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const std::size_t dot2 = value.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  const std::size_t dot3 = value.find('.', dot2 + 1);
  if (dot3 == std::string_view::npos) return std::nullopt;
  const std::string_view name = value.substr(0, dot1), expiry = value.substr(dot1 + 1, dot2 - dot1 - 1),
                         nonce = value.substr(dot2 + 1, dot3 - dot2 - 1), mac = value.substr(dot3 + 1);
  const std::string expected = mac_hex("tonewatch-session|v2|" + std::string(name) + "|" + std::string(expiry) + "|" +
                                       std::string(nonce));
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0) return std::nullopt;
  // Authentic from here on: the fields are what make_session wrote.
  if (expiry.empty() || expiry.size() > 18) return std::nullopt;
  std::int64_t expires = 0;
  for (char c : expiry) {
    if (c < '0' || c > '9') return std::nullopt;
    expires = expires * 10 + (c - '0');
  }
  if (now_unix_s >= expires) return std::nullopt;
  if (expires_out != nullptr) *expires_out = expires;
  auto user = unbase64url(name);
  if (!user) return std::nullopt;
  return clean_user_name(*user);
}

std::string DashboardAccess::login_cookie(const std::string& session_value, bool tls) const {
  return std::string(kCookieName) + "=" + session_value + "; Path=/; Max-Age=" +
         std::to_string(static_cast<long long>(std::llround(config_.session_s))) + "; HttpOnly; SameSite=Strict" +
         (tls ? "; Secure" : "");
}

std::string DashboardAccess::logout_cookie(bool tls) const {
  return std::string(kCookieName) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
}

std::optional<std::string> DashboardAccess::clean_user_name(std::string_view name) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.remove_prefix(1);
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
  }
  return std::string(name);
}

AccessDecision DashboardAccess::check(const net::Request& request, bool state_changing) const {
  AccessDecision d;
  const std::string host = request.header("host");
  if (state_changing) {
    // Browsers send Origin on cross-origin requests, every POST and every WebSocket
    // handshake (RFC 6454 §7; RFC 6455 §4.1): it must be this server.
    const std::string origin = request.header("origin");
    if (!origin.empty()) {
      const std::size_t scheme_end = origin.find("://");
      const std::string authority = scheme_end == std::string::npos ? std::string() : origin.substr(scheme_end + 3);
      if (authority.empty() || !text::ascii_iequals(authority, host)) {
        d.status = 403;
        d.reason = "refused: the request comes from another site (Origin " + origin + ")";
        return d;
      }
    }
  }
  if (config_.token.empty()) {
    if (config_.loopback_listener && !served_host(host_name(host))) {
      d.status = 403;
      d.reason = "refused: this server is for this machine only; open it as http://127.0.0.1 or http://localhost";
      return d;
    }
    d.allowed = true;
    return d;
  }
  const std::string authorization = request.header("authorization");
  if (authorization.size() > 7 && text::ascii_istarts_with(authorization, "bearer ")) {
    if (token_matches(authorization.substr(7))) {
      d.allowed = true;
      return d;
    }
    d.reason = "wrong token";
    d.wrong_token = true;
    return d;
  }
  const std::string session = cookie_value(request.header("cookie"), kCookieName);
  if (!session.empty()) {
    if (auto user = verify_session(session, unix_now_s())) {
      d.allowed = true;
      d.user = *user;
      d.via_session = true;
      return d;
    }
    d.reason = "the login has expired or is not valid; log in again";
    return d;
  }
  d.reason = "log in, or send Authorization: Bearer TOKEN";
  return d;
}

}  // namespace tw::server

namespace tw::server {

double LoginThrottle::blocked_for_s(const std::string& address, double now_s) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = windows_.find(address);
  if (it == windows_.end() || it->second.failures < config_.max_failures) return 0.0;
  return std::max(0.0, it->second.start_s + config_.window_s - now_s);
}

std::size_t LoginThrottle::failed(const std::string& address, double now_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (windows_.size() >= config_.max_addresses && windows_.count(address) == 0) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = now_s - it->second.start_s >= config_.window_s ? windows_.erase(it) : std::next(it);
    }
    if (windows_.size() >= config_.max_addresses) {  // a window for every address still open: drop the oldest
      auto oldest = std::min_element(windows_.begin(), windows_.end(),
                                     [](const auto& a, const auto& b) { return a.second.start_s < b.second.start_s; });
      windows_.erase(oldest);
    }
  }
  Window& w = windows_[address];
  if (w.failures == 0 || now_s - w.start_s >= config_.window_s) w = {now_s, 0};
  return ++w.failures;
}

std::string remote_address(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    const std::size_t close = remote.find(']');
    return std::string(remote.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(remote.substr(0, remote.rfind(':')));
}

}  // namespace tw::server
