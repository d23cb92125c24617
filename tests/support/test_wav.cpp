#include "support/test_wav.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

namespace tw::test {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void put_s16(std::string& out, std::int16_t v) { put_u16(out, static_cast<std::uint16_t>(v)); }

}  // namespace

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) FAIL("cannot write test file " << path);
}

std::string wav_pcm16_header(int channels, int rate_hz, std::uint32_t frames) {
  const auto data_bytes = static_cast<std::uint32_t>(frames * static_cast<std::uint32_t>(channels) * 2);
  std::string out;
  out += "RIFF";
  put_u32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  put_u32(out, 16);
  put_u16(out, 1);  // WAVE_FORMAT_PCM
  put_u16(out, static_cast<std::uint16_t>(channels));
  put_u32(out, static_cast<std::uint32_t>(rate_hz));
  put_u32(out, static_cast<std::uint32_t>(rate_hz * channels * 2));
  put_u16(out, static_cast<std::uint16_t>(channels * 2));
  put_u16(out, 16);
  out += "data";
  put_u32(out, data_bytes);
  return out;
}

std::string pcm16_bytes(const std::vector<float>& interleaved) {
  std::string out;
  out.reserve(2 * interleaved.size());
  for (float v : interleaved) {
    // Scaled by 32768 like libsndfile's reader, so a sample reads back exactly.
    const double scaled = std::clamp(std::round(static_cast<double>(v) * 32768.0), -32768.0, 32767.0);
    put_s16(out, static_cast<std::int16_t>(scaled));
  }
  return out;
}

void write_wav_pcm16(const std::string& path, const std::vector<float>& interleaved, int channels, int rate_hz) {
  const auto frames = static_cast<std::uint32_t>(interleaved.size() / static_cast<std::size_t>(channels));
  write_bytes(path, wav_pcm16_header(channels, rate_hz, frames) + pcm16_bytes(interleaved));
}

void write_wav_float32(const std::string& path, const std::vector<float>& interleaved, int channels, int rate_hz) {
  const auto data_bytes = static_cast<std::uint32_t>(interleaved.size() * 4);
  std::string out;
  out += "RIFF";
  put_u32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  put_u32(out, 16);
  put_u16(out, 3);  // WAVE_FORMAT_IEEE_FLOAT
  put_u16(out, static_cast<std::uint16_t>(channels));
  put_u32(out, static_cast<std::uint32_t>(rate_hz));
  put_u32(out, static_cast<std::uint32_t>(rate_hz * channels * 4));
  put_u16(out, static_cast<std::uint16_t>(channels * 4));
  put_u16(out, 32);
  out += "data";
  put_u32(out, data_bytes);
  for (float v : interleaved) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    put_u32(out, bits);
  }
  write_bytes(path, out);
}

void write_raw_s16(const std::string& path, const std::vector<std::int16_t>& samples) {
  std::string out;
  for (std::int16_t s : samples) put_s16(out, s);
  write_bytes(path, out);
}

}  // namespace tw::test
