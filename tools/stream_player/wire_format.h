#pragma once
// The stream player's own encoders: G.711 µ-law (ITU-T G.711 §2, Table 2),
// base64 (RFC 4648 §4), UUIDs (RFC 4122 version 4) and the AudioHook HTTP
// message signature (draft-ietf-httpbis-message-signatures, hmac-sha256).
// Written from the specifications and deliberately sharing no code with the
// server's decoders (src/telephony, src/dsp), so a test that streams with this
// tool checks the server against a second, independent reading.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tw::player {

/// G.711 µ-law code of a 16-bit sample (segment search on the biased magnitude).
std::uint8_t mulaw_encode(std::int16_t sample);

/// Padded base64 of bytes.
std::string base64(const std::uint8_t* data, std::size_t size);

/// A random version-4 UUID, lower-case 8-4-4-4-12.
std::string random_uuid(std::mt19937_64& rng);

/// Headers of an AudioHook upgrade request, signed with hmac-sha256 (key = the
/// base64-decoded client secret) over @request-target, @authority and the four
/// AudioHook headers, as the AudioHook "Security" documentation specifies.
struct SignedHeaders {
  std::vector<std::pair<std::string, std::string>> headers;
};
SignedHeaders audiohook_signed_headers(std::string_view target, std::string_view authority, std::string_view api_key,
                                       std::string_view client_secret_base64, std::string_view organization_id,
                                       std::string_view session_id, std::string_view correlation_id, std::int64_t now_unix_s,
                                       std::mt19937_64& rng);

}  // namespace tw::player
