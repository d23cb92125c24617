#pragma once
// Webhook signing: HMAC-SHA256 (RFC 2104, FIPS 180-4) over "<timestamp>.<body>",
// sent as `X-Tonewatch-Signature: sha256=<hex>` beside `X-Tonewatch-Timestamp:
// <unix seconds>`. The shape is Stripe's (the timestamp is signed with the body so a
// captured request cannot be replayed later with a new timestamp; Stripe, "Verify
// webhook signatures", docs.stripe.com/webhooks#verify-manually) with GitHub's
// header value ("sha256=" + lowercase hex; GitHub, "Validating webhook deliveries",
// X-Hub-Signature-256).

#include <cstdint>
#include <string>
#include <string_view>

namespace tw::alerts {

/// Header carrying the signature, and the one carrying the signed timestamp.
inline constexpr std::string_view kSignatureHeader = "X-Tonewatch-Signature";
inline constexpr std::string_view kTimestampHeader = "X-Tonewatch-Timestamp";

/// SHA-256 of `data` (FIPS 180-4), as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// HMAC-SHA256 of `message` under `key`, as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// The signature header value for one delivery attempt: "sha256=" + hex
/// HMAC-SHA256(secret, timestamp + "." + body). `timestamp` is the exact text sent
/// in X-Tonewatch-Timestamp (decimal Unix seconds).
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

/// For receivers (and tests): true when `header` (the X-Tonewatch-Signature value)
/// is the signature of `timestamp` and `body` under `secret`. Compares in constant
/// time (no early exit that would leak how many leading digits matched). A receiver
/// should also reject stale timestamps: see webhook_timestamp_fresh.
bool verify_webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body,
                              std::string_view header);

/// True when `timestamp` is decimal Unix seconds within `tolerance_s` of
/// `now_unix_s` (either side). Stripe's libraries default to 300 s.
bool webhook_timestamp_fresh(std::string_view timestamp, std::int64_t now_unix_s, std::int64_t tolerance_s = 300);

}  // namespace tw::alerts
