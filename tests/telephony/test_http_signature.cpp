// HTTP message signatures (hmac-sha256) on the published vectors: the IETF
// draft's shared-secret example and the AudioHook documentation's example.

#include <catch2/catch.hpp>

#include <array>

#include "telephony/base64.h"
#include "telephony/http_signature.h"

using namespace tw::telephony;

namespace {

// Genesys AudioHook documentation, "Security" example (also the reference
// implementation's test): API key, client secret, request and signature.
constexpr const char* kApiKey = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";
constexpr const char* kClientSecret = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=";
constexpr std::int64_t kCreated = 1641013200;
constexpr std::int64_t kExpires = 3282026430;

const HttpRequestInfo kRequest{"GET", "/api/v1/voicebiometrics/ws", "audiohook.example.com"};

HttpHeaders example_headers() {
  return {
      {"Host", "audiohook.example.com"},
      {"Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05"},
      {"Audiohook-Correlation-Id", "e160e428-53e2-487c-977d-96989bf5c99d"},
      {"Audiohook-Session-Id", "30b0e395-84d3-4570-ac13-9a62d8f514c0"},
      {"X-API-KEY", kApiKey},
      {"Signature-Input",
       "sig1=(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" "
       "\"audiohook-correlation-id\" \"x-api-key\");keyid=\"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\";"
       "nonce=\"VGhpc0lzQVVuaXF1ZU5vbmNl\";alg=\"hmac-sha256\";created=1641013200;expires=3282026430"},
      {"Signature", "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:"},
  };
}

AudioHookAuthConfig config_with(const std::string& secret) {
  AudioHookAuthConfig config;
  config.credentials.push_back({kApiKey, secret});
  config.credentials.push_back({"another-key", "c2VjcmV0"});
  return config;
}

void set_header(HttpHeaders& headers, const std::string& name, const std::string& value) {
  for (auto& h : headers)
    if (h.name == name) h.value = value;
}

void erase_header(HttpHeaders& headers, const std::string& name) {
  std::erase_if(headers, [&](const HttpHeader& h) { return h.name == name; });
}

}  // namespace

TEST_CASE("HTTP signature verifies the IETF draft hmac-sha256 example", "[telephony][signature]") {
  // draft-ietf-httpbis-message-signatures-11 B.1.5 (key) and B.2.5 (signature); RFC 9421 keeps them.
  std::array<std::uint8_t, 64> key{};
  const auto n = base64_decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==", key);
  REQUIRE(n == 64u);
  const std::string_view key_bytes(reinterpret_cast<const char*>(key.data()), *n);
  const HttpRequestInfo request{"POST", "/foo?param=Value&Pet=dog", "example.com"};
  HttpHeaders headers = {
      {"Date", "Tue, 20 Apr 2021 02:07:55 GMT"},
      {"Content-Type", "application/json"},
      {"Signature-Input", "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""},
      {"Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"},
  };
  const auto verdict = verify_hmac_signature(request, headers, key_bytes);
  INFO(verdict.reason);
  CHECK(verdict.ok);
  CHECK(verdict.key_id == "test-shared-secret");
  set_header(headers, "Content-Type", "application/xml");
  CHECK_FALSE(verify_hmac_signature(request, headers, key_bytes).ok);
}

TEST_CASE("AudioHook request signature verifies the documentation example in any header order", "[telephony][signature]") {
  auto headers = example_headers();
  auto verdict = verify_audiohook_request(kRequest, headers, config_with(kClientSecret), kCreated + 5);
  INFO(verdict.reason);
  CHECK(verdict.ok);
  CHECK(verdict.key_id == kApiKey);
  CHECK(verdict.nonce == "VGhpc0lzQVVuaXF1ZU5vbmNl");
  std::reverse(headers.begin(), headers.end());
  CHECK(verify_audiohook_request(kRequest, headers, config_with(kClientSecret), kCreated + 5).ok);
}

TEST_CASE("AudioHook request signature fails with the reason for each kind of bad request", "[telephony][signature]") {
  const auto now = kCreated + 5;
  auto reason_for = [&](HttpHeaders headers, const AudioHookAuthConfig& config, std::int64_t at = kCreated + 5,
                        HttpRequestInfo request = kRequest) {
    const auto verdict = verify_audiohook_request(request, headers, config, at);
    CHECK_FALSE(verdict.ok);
    return verdict.reason;
  };
  const auto good = config_with(kClientSecret);
  // Wrong client secret for the key.
  CHECK(reason_for(example_headers(), config_with("V3JvbmdTZWNyZXQ=")) == "signature sig1 does not verify");
  // Unknown or missing API key.
  {
    AudioHookAuthConfig other;
    other.credentials.push_back({"someone-else", kClientSecret});
    CHECK(reason_for(example_headers(), other) == "X-API-KEY is not a configured key");
    auto headers = example_headers();
    erase_header(headers, "X-API-KEY");
    CHECK(reason_for(headers, good) == "missing X-API-KEY header");
  }
  // A signed header tampered with, or the request sent to another path or host.
  {
    auto headers = example_headers();
    set_header(headers, "Audiohook-Session-Id", "30b0e395-84d3-4570-ac13-9a62d8f514c1");
    CHECK(reason_for(headers, good) == "signature sig1 does not verify");
    CHECK(reason_for(example_headers(), good, now, {"GET", "/api/v1/other", "audiohook.example.com"}) ==
          "signature sig1 does not verify");
    CHECK(reason_for(example_headers(), good, now, {"GET", "/api/v1/voicebiometrics/ws", "evil.example.com"}) ==
          "signature sig1 does not verify");
    auto signature = example_headers();
    set_header(signature, "Signature", "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh5=:");
    CHECK(reason_for(signature, good) == "signature sig1 does not verify");
  }
  // Expired, or created in the future beyond the allowed skew.
  CHECK(reason_for(example_headers(), good, kExpires + 31) == "signature expired");
  CHECK(reason_for(example_headers(), good, kCreated - 31) == "signature created in the future");
  {
    // Within the skew of `expires`, for a configuration whose signature age reaches
    // that far (by default a signature older than 300 s is refused, below).
    auto patient = good;
    patient.max_signature_age_s = kExpires - kCreated + 60;
    CHECK(verify_audiohook_request(kRequest, example_headers(), patient, kExpires + 29).ok);
  }
  // Missing signature headers, or a covered header missing from the request.
  {
    auto headers = example_headers();
    erase_header(headers, "Signature");
    CHECK(reason_for(headers, good) == "missing Signature-Input or Signature header");
    headers = example_headers();
    erase_header(headers, "Audiohook-Correlation-Id");
    CHECK(reason_for(headers, good) == "covered component audiohook-correlation-id is missing from the request");
  }
  // A signature that does not cover what AudioHook requires, by another key, or with another algorithm.
  {
    auto headers = example_headers();
    set_header(headers, "Signature-Input",
               "sig1=(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" "
               "\"audiohook-correlation-id\");keyid=\"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\";nonce=\"x\";alg=\"hmac-sha256\";"
               "created=1641013200;expires=3282026430");
    CHECK(reason_for(headers, good) == "signature does not cover x-api-key");
    set_header(headers, "Signature-Input", "sig1=(\"x-api-key\");keyid=\"someone\";alg=\"hmac-sha256\";created=1641013200");
    CHECK(reason_for(headers, good) == "no signature has keyid = X-API-KEY");
    set_header(headers, "Signature-Input",
               "sig1=(\"x-api-key\");keyid=\"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\";alg=\"rsa-pss-sha512\";created=1641013200");
    CHECK(reason_for(headers, good) == "signature alg must be hmac-sha256");
    set_header(headers, "Signature-Input", "sig1=(\"x-api-key\" unterminated");
    CHECK(reason_for(headers, good) == "Signature-Input is not a structured-field dictionary");
  }
}

TEST_CASE("AudioHook request with a key configured without a client secret needs only the API key", "[telephony][signature]") {
  auto headers = example_headers();
  erase_header(headers, "Signature");
  erase_header(headers, "Signature-Input");
  CHECK(verify_audiohook_request(kRequest, headers, config_with(""), kCreated).ok);
  CHECK_FALSE(verify_audiohook_request(kRequest, headers, config_with(kClientSecret), kCreated).ok);
}

TEST_CASE("AudioHook signatures older than the signature age are refused whatever their expires", "[telephony][signature][security]") {
  // The documentation's example expires in 2074: without this, its nonce would
  // have to be remembered for fifty years to refuse a replay.
  const auto good = config_with(kClientSecret);
  auto verdict = verify_audiohook_request(kRequest, example_headers(), good, kCreated + 300 + 30);
  CHECK(verdict.ok);
  CHECK(verdict.nonce == "VGhpc0lzQVVuaXF1ZU5vbmNl");
  CHECK(verdict.valid_until_unix_s == kCreated + 300 + 30);  // created + max age + skew: the replay window's end
  verdict = verify_audiohook_request(kRequest, example_headers(), good, kCreated + 300 + 31);
  CHECK_FALSE(verdict.ok);
  CHECK(verdict.reason == "signature created too long ago");
}
