#pragma once
// The sample encodings telephony platforms stream, decoded to floats in [-1, 1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "dsp/g711.h"

namespace tw::telephony {

/// L16: signed 16-bit little-endian linear PCM; PCMU/PCMA: G.711 µ-law/A-law, one byte a sample.
enum class Encoding { l16, pcmu, pcma };

constexpr std::string_view to_string(Encoding encoding) noexcept {
  switch (encoding) {
    case Encoding::l16: return "L16";
    case Encoding::pcmu: return "PCMU";
    case Encoding::pcma: return "PCMA";
  }
  return "unknown";
}

/// "L16", "PCMU" or "PCMA" (exact, as the generic metadata and AudioHook spell them).
constexpr std::optional<Encoding> parse_encoding(std::string_view name) noexcept {
  if (name == "L16") return Encoding::l16;
  if (name == "PCMU") return Encoding::pcmu;
  if (name == "PCMA") return Encoding::pcma;
  return std::nullopt;
}

/// Bytes one sample of one channel takes.
constexpr std::size_t bytes_per_sample(Encoding encoding) noexcept { return encoding == Encoding::l16 ? 2 : 1; }

/// Decodes whole samples: out.size() must be bytes.size() / bytes_per_sample.
/// Real-time safe (G.711 by table, L16 by shifts; no allocation).
inline void decode_samples(Encoding encoding, std::span<const std::uint8_t> bytes, std::span<float> out) noexcept {
  const std::size_t n = out.size();
  switch (encoding) {
    case Encoding::l16:
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = static_cast<std::int16_t>(static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
        out[i] = static_cast<float>(v) * dsp::kPcm16Scale;
      }
      break;
    case Encoding::pcmu:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(dsp::mulaw_to_linear(bytes[i])) * dsp::kPcm16Scale;
      break;
    case Encoding::pcma:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(dsp::alaw_to_linear(bytes[i])) * dsp::kPcm16Scale;
      break;
  }
}

}  // namespace tw::telephony
