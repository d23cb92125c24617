#pragma once
// Writes small WAV and raw files for I/O tests, byte by byte, so a test controls
// exactly what the header says (independent of the product's own writers).

#include <cstdint>
#include <string>
#include <vector>

namespace tw::test {

/// Writes a canonical 44-byte-header RIFF/WAVE file of 16-bit PCM from
/// interleaved float samples in [-1, 1] (times 32768, rounded,
/// clipped). Fails the test on
/// an I/O error.
void write_wav_pcm16(const std::string& path, const std::vector<float>& interleaved, int channels, int rate_hz);

/// Writes a RIFF/WAVE file of 32-bit IEEE float (format tag 3) holding exactly
/// `interleaved`, NaN and infinities included.
void write_wav_float32(const std::string& path, const std::vector<float>& interleaved, int channels, int rate_hz);

/// The 44-byte header of a 16-bit PCM WAV that promises `frames` frames, and
/// samples as its data bytes: for writing a WAV into a FIFO piece by piece.
std::string wav_pcm16_header(int channels, int rate_hz, std::uint32_t frames);
std::string pcm16_bytes(const std::vector<float>& interleaved);

/// Writes headerless little-endian 16-bit PCM.
void write_raw_s16(const std::string& path, const std::vector<std::int16_t>& samples);

/// Writes arbitrary bytes (for corrupt-file cases).
void write_bytes(const std::string& path, const std::string& bytes);

/// The float value libsndfile gives for a 16-bit sample: s / 32768.
inline float s16_to_float(std::int16_t s) { return static_cast<float>(s) / 32768.0f; }

}  // namespace tw::test
