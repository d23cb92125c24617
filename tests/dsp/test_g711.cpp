// G.711 decoding against libsndfile's µ-law/A-law reader and the standard's
// end points; encoding as the inverse of decoding.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <sndfile.h>

#include "dsp/g711.h"

namespace {

// Decodes the 256 codes with libsndfile's own G.711 tables (headerless file).
std::vector<short> sndfile_decode_all(int subformat) {
  const auto path = std::filesystem::temp_directory_path() / ("tw_g711_" + std::to_string(subformat) + ".raw");
  {
    std::ofstream out(path, std::ios::binary);
    for (int c = 0; c < 256; ++c) out.put(static_cast<char>(c));
  }
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_RAW | subformat;
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE(file != nullptr);
  std::vector<short> decoded(256);
  REQUIRE(sf_read_short(file, decoded.data(), 256) == 256);
  sf_close(file);
  std::filesystem::remove(path);
  return decoded;
}

}  // namespace

TEST_CASE("G.711 mu-law decoding equals libsndfile for all 256 codes", "[dsp][g711]") {
  const auto reference = sndfile_decode_all(SF_FORMAT_ULAW);
  int mismatches = 0;
  for (int c = 0; c < 256; ++c) mismatches += tw::dsp::mulaw_to_linear(static_cast<std::uint8_t>(c)) != reference[static_cast<std::size_t>(c)];
  CHECK(mismatches == 0);
  // G.711 Table 2: code 0xFF (inverted 0x00) is +0, 0x80 is the positive end point 8031 (x4), 0x00 the negative.
  CHECK(tw::dsp::mulaw_to_linear(0xFF) == 0);
  CHECK(tw::dsp::mulaw_to_linear(0x7F) == 0);
  CHECK(tw::dsp::mulaw_to_linear(0x80) == 32124);
  CHECK(tw::dsp::mulaw_to_linear(0x00) == -32124);
}

TEST_CASE("G.711 A-law decoding equals libsndfile for all 256 codes", "[dsp][g711]") {
  const auto reference = sndfile_decode_all(SF_FORMAT_ALAW);
  int mismatches = 0;
  for (int c = 0; c < 256; ++c) mismatches += tw::dsp::alaw_to_linear(static_cast<std::uint8_t>(c)) != reference[static_cast<std::size_t>(c)];
  CHECK(mismatches == 0);
  // G.711 Table 1: 0xD5 / 0x55 are the smallest levels +-1 (13-bit, x8), 0xAA / 0x2A the end points +-4032.
  CHECK(tw::dsp::alaw_to_linear(0xD5) == 8);
  CHECK(tw::dsp::alaw_to_linear(0x55) == -8);
  CHECK(tw::dsp::alaw_to_linear(0xAA) == 32256);
  CHECK(tw::dsp::alaw_to_linear(0x2A) == -32256);
}

TEST_CASE("G.711 encoding inverts decoding on every code", "[dsp][g711]") {
  int mu_mismatches = 0, a_mismatches = 0;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    // mu-law has two zeros (0x7F, 0xFF); the encoder writes the positive one.
    const std::uint8_t mu_expected = code == 0x7F ? 0xFF : code;
    mu_mismatches += tw::dsp::linear_to_mulaw(tw::dsp::mulaw_to_linear(code)) != mu_expected;
    a_mismatches += tw::dsp::linear_to_alaw(tw::dsp::alaw_to_linear(code)) != code;
  }
  CHECK(mu_mismatches == 0);
  CHECK(a_mismatches == 0);
}

TEST_CASE("G.711 encoding picks the interval the sample lies in", "[dsp][g711]") {
  // Every 16-bit value within the laws' range decodes back to within half a
  // quantisation step of its segment (mu-law: 8 << e in 16-bit units; A-law: 16
  // in segment 0, 8 << e above), plus the truncation to 14 (13) bits.
  int mu_bad = 0, a_bad = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    const std::uint8_t mu_code = tw::dsp::linear_to_mulaw(s);
    const int mu_segment = (static_cast<std::uint8_t>(~mu_code) >> 4) & 7;
    if (std::abs(x) <= 32124 && std::abs(tw::dsp::mulaw_to_linear(mu_code) - x) > (4 << mu_segment) + 4) ++mu_bad;
    const std::uint8_t a_code = tw::dsp::linear_to_alaw(s);
    const int a_segment = ((a_code ^ 0x55) >> 4) & 7;
    const int a_step = a_segment == 0 ? 16 : 8 << a_segment;
    if (std::abs(x) <= 32256 && std::abs(tw::dsp::alaw_to_linear(a_code) - x) > a_step / 2 + 8) ++a_bad;
  }
  CHECK(mu_bad == 0);
  CHECK(a_bad == 0);
}
