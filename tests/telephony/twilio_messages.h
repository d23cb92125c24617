#pragma once
// Twilio Media Streams messages built the way Twilio's documentation shows them
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages), for tests.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dsp/g711.h"
#include "support/recording_sink.h"

namespace tw::test::twilio {

inline const std::string kStreamSid = "MZ18ad3ab5a668481ce02b83e7395059f0";
inline const std::string kCallSid = "CA0123456789abcdef0123456789abcdef";

inline std::string connected() { return R"({"event": "connected", "protocol": "Call", "version": "1.0.0"})"; }

inline std::string start(const std::string& tracks_json = R"(["inbound", "outbound"])",
                         const std::string& custom_json = R"({"FirstName": "Jane", "agentId": "A17"})",
                         const std::string& encoding = "audio/x-mulaw", int rate = 8000) {
  return R"({"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC0123456789abcdef0123456789abcdef", "streamSid": ")" +
         kStreamSid + R"(", "callSid": ")" + kCallSid + R"(", "tracks": )" + tracks_json +
         R"(, "mediaFormat": {"encoding": ")" + encoding + R"(", "sampleRate": )" + std::to_string(rate) +
         R"(, "channels": 1}, "customParameters": )" + custom_json + R"(}, "streamSid": ")" + kStreamSid + R"("})";
}

inline std::string media(const std::string& track, int chunk, long timestamp_ms, const std::string& payload, int sequence = 2) {
  return R"({"event": "media", "sequenceNumber": ")" + std::to_string(sequence) + R"(", "media": {"track": ")" + track +
         R"(", "chunk": ")" + std::to_string(chunk) + R"(", "timestamp": ")" + std::to_string(timestamp_ms) +
         R"(", "payload": ")" + payload + R"("}, "streamSid": ")" + kStreamSid + R"("})";
}

inline std::string dtmf(const std::string& track, const std::string& digit) {
  return R"({"event": "dtmf", "streamSid": ")" + kStreamSid + R"(", "sequenceNumber": "5", "dtmf": {"track": ")" + track +
         R"(", "digit": ")" + digit + R"("}})";
}

inline std::string mark(const std::string& name) {
  return R"({"event": "mark", "sequenceNumber": "4", "streamSid": ")" + kStreamSid + R"(", "mark": {"name": ")" + name + R"("}})";
}

inline std::string stop() {
  return R"({"event": "stop", "sequenceNumber": "5", "stop": {"accountSid": "AC0123456789abcdef0123456789abcdef", "callSid": ")" +
         kCallSid + R"("}, "streamSid": ")" + kStreamSid + R"("})";
}

/// µ-law codes of a tone: n samples of freq_hz at 8 kHz, amplitude `level` of full scale.
inline std::vector<std::uint8_t> mulaw_tone(std::size_t n, double freq_hz, double level, std::size_t offset = 0) {
  std::vector<std::uint8_t> codes(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = level * 32767.0 * std::sin(2.0 * M_PI * freq_hz * static_cast<double>(i + offset) / 8000.0);
    codes[i] = dsp::linear_to_mulaw(static_cast<std::int16_t>(std::lround(v)));
  }
  return codes;
}

/// What the adapter must deliver for µ-law codes: the G.711 value / 32768.
inline std::vector<float> expected_floats(const std::vector<std::uint8_t>& codes) {
  std::vector<float> out;
  for (const auto c : codes) out.push_back(static_cast<float>(dsp::mulaw_to_linear(c)) / 32768.0f);
  return out;
}

inline std::vector<std::uint8_t> slice(const std::vector<std::uint8_t>& v, std::size_t from, std::size_t n) {
  return std::vector<std::uint8_t>(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(from + n));
}

}  // namespace tw::test::twilio
