#pragma once
// HTTP Message Signatures with HMAC-SHA256, as Genesys AudioHook uses them to
// authenticate its WebSocket upgrade request.
//
// Specifications:
//  - IETF draft-ietf-httpbis-message-signatures (the revision AudioHook cites;
//    published as RFC 9421, "HTTP Message Signatures"): §2 component values
//    (derived components "@method", "@authority", "@path", "@query",
//    "@request-target"; header fields by lower-cased name, values trimmed and
//    combined with ", "), §2.3 the "@signature-params" line, §2.5 the signature
//    base, §3.3.3 hmac-sha256 (HMAC, RFC 2104, over SHA-256), §4 the
//    Signature-Input and Signature fields (RFC 8941 structured-field dictionaries).
//  - Genesys Cloud Developer Center, AudioHook protocol, "Security" section:
//    the client sends X-API-KEY and signs "@request-target", "@authority",
//    "audiohook-organization-id", "audiohook-session-id",
//    "audiohook-correlation-id" and "x-api-key" with keyid = the API key,
//    alg = "hmac-sha256", nonce, created and expires; the HMAC key is the
//    integration's client secret, base64-decoded.
// These functions are pure (the time is a parameter) so the server can call them
// on its accept path and answer 401 with the reason.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tw::telephony {

/// One header field of the upgrade request (name in any case).
struct HttpHeader {
  std::string name;
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

/// What the verifier needs of the request line and Host.
struct HttpRequestInfo {
  std::string_view method;     ///< "GET"
  std::string_view target;     ///< origin-form request target: path and query, e.g. "/audiohook?x=1"
  std::string_view authority;  ///< Host: host[:port], as the client addressed the server
};

/// Outcome of a verification. `reason` says why it failed, for the log.
struct SignatureVerdict {
  bool ok = false;
  std::string reason;
  std::string key_id;  ///< keyid of the checked signature (the API key for AudioHook)
  std::string nonce;   ///< nonce parameter, for a replay cache the server may keep
  /// A verified signature: the last second (clock skew included) at which it could
  /// still be accepted, so a replay cache keeps its nonce until then. 0 if unsigned.
  std::int64_t valid_until_unix_s = 0;
};

/// Checks every hmac-sha256 signature in Signature/Signature-Input against
/// `key` (raw bytes). Verifies the HMAC only; no policy on components or time.
/// Used by the AudioHook check below and testable on the draft's own vectors.
SignatureVerdict verify_hmac_signature(const HttpRequestInfo& request, const HttpHeaders& headers, std::string_view key);

/// One AudioHook integration's credentials.
struct AudioHookCredential {
  std::string api_key;        ///< the X-API-KEY value configured in Genesys Cloud
  std::string client_secret;  ///< base64 client secret; empty: that key needs no signature
};

struct AudioHookAuthConfig {
  std::vector<AudioHookCredential> credentials;
  std::int64_t max_clock_skew_s = 30;     ///< tolerated difference between the client's and our clock
  std::int64_t max_signature_age_s = 300; ///< lifetime of a signature without `expires`
};

/// The AudioHook upgrade check: X-API-KEY is configured, and (if that key has a
/// client secret) one signature with keyid = the API key, alg hmac-sha256,
/// covering the six components above, created no later than now + skew and no
/// earlier than now - max age - skew, not expired (expires, else created + max
/// age, against now - skew), verifies. Replays within that window are the
/// caller's to refuse (verdict.nonce, valid_until_unix_s; server::NonceCache).
/// `now_unix_s` is the current time in seconds since 1970.
SignatureVerdict verify_audiohook_request(const HttpRequestInfo& request, const HttpHeaders& headers,
                                          const AudioHookAuthConfig& config, std::int64_t now_unix_s);

}  // namespace tw::telephony
