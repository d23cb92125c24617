// The G.722 decoder against ffmpeg's, an independent implementation used here only
// as a test tool: ffmpeg encodes known signals (a sine, a chirp, the example call's
// speech) to raw G.722 in the scratch directory, decodes them, and ours must give the
// same samples. G.722 decoding is bit-exact by the Recommendation (its arithmetic is
// specified to the bit), so the tolerance is zero differing samples. The round trip
// against the original signal checks the level and the quality independently of ffmpeg.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "dsp/g722_decoder.h"
#include "support/allocation_counter.h"
#include "support/external_tools.h"
#include "support/shared_data.h"
#include "support/test_wav.h"
#include "build_paths.h"

using tw::dsp::G722Decoder;

namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::int16_t> read_s16(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_bytes(path);
  std::vector<std::int16_t> out(bytes.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
  return out;
}

void write_octets(const std::string& path, const std::vector<std::uint8_t>& octets) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(octets.data()), static_cast<std::streamsize>(octets.size()));
  REQUIRE(out.good());
}

std::string scratch(const std::string& name) { return tw::test::scratch_dir() + "/g722_" + name; }

// ffmpeg's G.722 encoding of 16 kHz mono s16 samples, as raw octets.
std::vector<std::uint8_t> ffmpeg_encode(const std::string& name, const std::vector<std::int16_t>& pcm) {
  const std::string raw = scratch(name + ".s16");
  const std::string coded = scratch(name + ".g722");
  tw::test::write_raw_s16(raw, pcm);
  tw::test::run_ffmpeg({"-f", "s16le", "-ar", "16000", "-ac", "1", "-i", raw, "-c:a", "g722", "-f", "g722", coded});
  return read_bytes(coded);
}

// ffmpeg's decoding of raw G.722 octets, as 16 kHz s16 samples.
std::vector<std::int16_t> ffmpeg_decode(const std::string& name, const std::vector<std::uint8_t>& octets) {
  const std::string coded = scratch(name + "_in.g722");
  const std::string decoded = scratch(name + "_out.s16");
  write_octets(coded, octets);
  tw::test::run_ffmpeg({"-f", "g722", "-i", coded, "-f", "s16le", "-ac", "1", "-ar", "16000", decoded});
  return read_s16(decoded);
}

std::vector<std::int16_t> our_decode(const std::vector<std::uint8_t>& octets) {
  std::vector<std::int16_t> out(octets.size() * 2);
  G722Decoder decoder;
  REQUIRE(decoder.decode(octets, std::span<std::int16_t>(out)) == out.size());
  return out;
}

std::vector<std::int16_t> sine(double freq_hz, double level, double seconds) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::int16_t>(std::lround(level * 32767.0 * std::sin(2.0 * M_PI * freq_hz * static_cast<double>(i) / 16000.0)));
  return out;
}

// A linear chirp over the whole wideband range, 50 Hz to 7 kHz.
std::vector<std::int16_t> chirp(double level, double seconds) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * 16000));
  const double f0 = 50.0, f1 = 7000.0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    const double phase = 2.0 * M_PI * (f0 * t + 0.5 * (f1 - f0) / seconds * t * t);
    out[i] = static_cast<std::int16_t>(std::lround(level * 32767.0 * std::sin(phase)));
  }
  return out;
}

std::size_t differing(const std::vector<std::int16_t>& a, const std::vector<std::int16_t>& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) n += a[i] != b[i];
  return n;
}

// SNR in dB of `decoded` against `original`, at the lag (0..63 samples) where it is
// best: the transmit and receive QMFs together delay the signal.
double snr_db(const std::vector<std::int16_t>& original, const std::vector<std::int16_t>& decoded, int* lag_out = nullptr) {
  double best = -1e9;
  const std::size_t skip = 800;  // the first 50 ms, while the adaptive quantisers settle
  for (int lag = 0; lag < 64; ++lag) {
    double signal = 0, noise = 0;
    for (std::size_t i = skip; i + static_cast<std::size_t>(lag) < decoded.size() && i < original.size(); ++i) {
      const double s = original[i];
      const double e = decoded[i + static_cast<std::size_t>(lag)] - s;
      signal += s * s;
      noise += e * e;
    }
    const double snr = 10.0 * std::log10(signal / std::max(noise, 1e-9));
    if (snr > best) {
      best = snr;
      if (lag_out != nullptr) *lag_out = lag;
    }
  }
  return best;
}

}  // namespace

TEST_CASE("G.722 decoding of a 440 Hz sine equals ffmpeg's decoding sample for sample", "[g722]") {
  const auto octets = ffmpeg_encode("sine", sine(440.0, 0.5, 2.0));
  REQUIRE(octets.size() == 16000);  // 64 kbit/s: one octet per two samples
  const auto reference = ffmpeg_decode("sine", octets);
  const auto ours = our_decode(octets);
  REQUIRE(reference.size() == ours.size());
  CHECK(differing(reference, ours) == 0);
}

TEST_CASE("G.722 decoding of a 50 Hz to 7 kHz chirp equals ffmpeg's decoding sample for sample", "[g722]") {
  const auto octets = ffmpeg_encode("chirp", chirp(0.7, 3.0));
  const auto reference = ffmpeg_decode("chirp", octets);
  const auto ours = our_decode(octets);
  REQUIRE(reference.size() == ours.size());
  CHECK(differing(reference, ours) == 0);
  // Not periodic, so the best lag is the codec's delay: that of the encoder's and the
  // decoder's 24-tap QMFs together, 22 samples at 16 kHz.
  int lag = -1;
  CHECK(snr_db(chirp(0.7, 3.0), ours, &lag) > 20.0);
  CHECK(lag == 22);
}

TEST_CASE("G.722 decoding of the example call's speech at 16 kHz equals ffmpeg's decoding sample for sample", "[g722]") {
  // The caller's channel, 20 s, resampled to 16 kHz by ffmpeg.
  const std::string speech = scratch("speech.s16");
  tw::test::run_ffmpeg({"-i", tw::build::source_dir() + "/examples/example_call.wav", "-t", "20", "-af", "pan=mono|c0=c0",
                        "-ar", "16000", "-f", "s16le", speech});
  const auto pcm = read_s16(speech);
  REQUIRE(pcm.size() == 20 * 16000);
  const auto octets = ffmpeg_encode("speech", pcm);
  const auto reference = ffmpeg_decode("speech", octets);
  const auto ours = our_decode(octets);
  REQUIRE(reference.size() == ours.size());
  CHECK(differing(reference, ours) == 0);
  // And the speech survives the round trip (measured: 31.6 dB SNR on these 20 s).
  CHECK(snr_db(pcm, ours) > 25.0);
}

TEST_CASE("G.722 decoding of arbitrary octets including codes no encoder sends equals ffmpeg's", "[g722]") {
  // Every octet is valid input to the decoder (the 6-bit codes 0-3 included), and
  // random octets drive the adaptive predictor and scale factors to their limits.
  std::mt19937 rng(722);
  std::vector<std::uint8_t> octets(40000);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  const auto reference = ffmpeg_decode("random", octets);
  const auto ours = our_decode(octets);
  REQUIRE(reference.size() == ours.size());
  CHECK(differing(reference, ours) == 0);
}

TEST_CASE("G.722 decoding of a full-scale square wave that saturates the predictor equals ffmpeg's", "[g722]") {
  // A square wave at full scale saturates the predictor's reconstructed signal: the
  // one place where the 16-bit word, not LIMIT, bounds a value.
  std::vector<std::int16_t> square(32000);
  for (std::size_t i = 0; i < square.size(); ++i) square[i] = (i / 160) % 2 == 0 ? 32767 : -32768;
  const auto octets = ffmpeg_encode("square", square);
  const auto reference = ffmpeg_decode("square", octets);
  CHECK(differing(reference, our_decode(octets)) == 0);
}

TEST_CASE("A G.722 round trip of a 1 kHz sine keeps its level within 0.5 dB and an SNR above 30 dB", "[g722]") {
  const auto original = sine(1000.0, 0.3, 1.0);
  const auto decoded = our_decode(ffmpeg_encode("level", original));
  int lag = -1;
  const double snr = snr_db(original, decoded, &lag);
  CHECK(snr > 30.0);
  REQUIRE(lag >= 0);
  const auto at = static_cast<std::size_t>(lag);
  double in = 0, out = 0;
  for (std::size_t i = 1600; i < original.size() - 64; ++i) {
    in += double(original[i]) * original[i];
    out += double(decoded[i + at]) * decoded[i + at];
  }
  CHECK(std::abs(10.0 * std::log10(out / in)) < 0.5);
}

TEST_CASE("G.722 float decoding is the 16-bit decoding divided by 32768", "[g722]") {
  std::mt19937 rng(9);
  std::vector<std::uint8_t> octets(4000);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  std::vector<std::int16_t> pcm(8000);
  std::vector<float> floats(8000);
  G722Decoder a, b;
  REQUIRE(a.decode(octets, std::span<std::int16_t>(pcm)) == 8000);
  REQUIRE(b.decode(octets, std::span<float>(floats)) == 8000);
  for (std::size_t i = 0; i < pcm.size(); ++i) REQUIRE(floats[i] == static_cast<float>(pcm[i]) / 32768.0f);
}

TEST_CASE("G.722 decoding in blocks of any size gives the same samples as one block", "[g722]") {
  std::mt19937 rng(17);
  std::vector<std::uint8_t> octets(8000);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  const auto whole = our_decode(octets);
  G722Decoder decoder;
  std::vector<std::int16_t> pieces(whole.size());
  std::size_t at = 0;
  while (at < octets.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 333, octets.size() - at);
    decoder.decode(std::span<const std::uint8_t>(octets).subspan(at, n), std::span<std::int16_t>(pieces).subspan(2 * at, 2 * n));
    at += n;
  }
  CHECK(pieces == whole);
}

TEST_CASE("G.722 decoding stops at the smaller of the input and half the output", "[g722]") {
  const std::vector<std::uint8_t> octets(10, 0xFF);
  std::vector<std::int16_t> out(7);  // room for 3 octets, not 3.5
  G722Decoder decoder;
  CHECK(decoder.decode(octets, std::span<std::int16_t>(out)) == 6);
}

TEST_CASE("A G.722 decoder after reset decodes exactly like a fresh one", "[g722]") {
  std::mt19937 rng(3);
  std::vector<std::uint8_t> octets(3000);
  for (auto& o : octets) o = static_cast<std::uint8_t>(rng());
  G722Decoder used;
  std::vector<std::int16_t> scratch_out(octets.size() * 2);
  used.decode(octets, std::span<std::int16_t>(scratch_out));
  used.reset();
  std::vector<std::int16_t> after_reset(octets.size() * 2);
  used.decode(octets, std::span<std::int16_t>(after_reset));
  CHECK(after_reset == our_decode(octets));
}

TEST_CASE("G.722 decoding allocates nothing", "[g722][alloc]") {
  std::vector<std::uint8_t> octets(160, 0x5A);
  std::vector<float> out(320);
  G722Decoder decoder;
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (int i = 0; i < 100; ++i) decoder.decode(octets, std::span<float>(out));
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
}
