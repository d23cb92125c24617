// Audio input: every way a file can be wrong is reported as an AudioError of
// the right kind naming the file; what decodes, decodes to the right samples.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "io/audio_error.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "support/external_tools.h"
#include "support/shared_data.h"
#include "support/test_wav.h"

namespace {

using tw::io::AudioError;
using tw::io::AudioErrorKind;
using tw::io::AudioFileSource;

std::string scratch(const std::string& name) { return tw::test::scratch_dir() + "/" + name; }

// Opens (and reads to the end) a file that must fail with `kind`; the message
// must name the file.
void check_fails(const std::string& path, AudioErrorKind kind, const tw::io::FileSourceOptions& options = {}) {
  INFO(path << ": expecting '" << tw::io::to_string(kind) << "'");
  try {
    AudioFileSource source(path, options);
    tw::io::read_all(source);
    FAIL_CHECK("opened and read without an error: " << source.format().description);
  } catch (const AudioError& e) {
    INFO("message: " << e.what());
    CHECK(e.kind() == kind);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

std::vector<float> read_file(const std::string& path, const tw::io::FileSourceOptions& options = {}) {
  AudioFileSource source(path, options);
  return tw::io::read_all(source);
}

// A sine of given amplitude at a frequency, `rate` Hz, quantized to 16 bits
// exactly as test_wav writes it (so the file holds exactly these values).
std::vector<float> quantized_sine(double frequency_hz, double amplitude, std::size_t n, int rate) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = amplitude * std::sin(2.0 * std::numbers::pi * frequency_hz * static_cast<double>(i) / rate);
    x[i] = static_cast<float>(std::round(v * 32768.0) / 32768.0);
  }
  return x;
}

double rms_db(const float* x, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return 10.0 * std::log10(2.0 * sum / static_cast<double>(n) + 1e-30);  // dB re full-scale sine
}

// ITU-T G.711 decoding (Sun Microsystems' reference g711.c), 16-bit scale.
std::int16_t ulaw_to_s16(std::uint8_t byte) {
  const int u = ~byte & 0xff;
  const int magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return static_cast<std::int16_t>((u & 0x80) ? (0x84 - magnitude) : (magnitude - 0x84));
}
std::int16_t alaw_to_s16(std::uint8_t byte) {
  const int a = byte ^ 0x55;
  const int exponent = (a & 0x70) >> 4;
  int magnitude = (a & 0x0f) << 4;
  magnitude = exponent == 0 ? magnitude + 8 : (magnitude + 0x108) << (exponent - 1);
  return static_cast<std::int16_t>((a & 0x80) ? magnitude : -magnitude);
}

}  // namespace

TEST_CASE("a missing file is 'missing' and names the path", "[io]") {
  const std::string path = scratch("no_such_call.wav");
  std::filesystem::remove(path);
  check_fails(path, AudioErrorKind::missing);
}

TEST_CASE("a text file named .wav is 'not audio'", "[io]") {
  const std::string path = scratch("notes.wav");
  tw::test::write_bytes(path, "This is not a recording, just some notes about the call.\n");
  check_fails(path, AudioErrorKind::not_audio);
  // A RIFF header that is not WAVE is not audio either.
  const std::string riff = scratch("riff_avi.wav");
  tw::test::write_bytes(riff, std::string("RIFF\x24\x00\x00\x00" "AVI LIST", 16) + std::string(64, '\0'));
  check_fails(riff, AudioErrorKind::not_audio);
}

TEST_CASE("a WAV cut short is 'truncated'", "[io]") {
  const std::string path = scratch("cut_short.wav");
  tw::test::write_wav_pcm16(path, quantized_sine(440.0, 0.3, 8000, 8000), 1, 8000);
  // Keep the 44-byte header (which promises 8000 samples) and 1000 of them.
  std::filesystem::resize_file(path, 44 + 2000);
  check_fails(path, AudioErrorKind::truncated);
  // Cut in the middle of a sample too.
  std::filesystem::resize_file(path, 44 + 1001);
  check_fails(path, AudioErrorKind::truncated);
}

TEST_CASE("a complete u-law WAV with an odd number of samples is read whole / not called truncated", "[io]") {
  // 8-bit u-law with an odd sample count has an odd-length data chunk, which
  // libsndfile notes ("should be an even number of bytes") but reads fine.
  const std::string pcm = scratch("odd_source.wav");
  tw::test::write_wav_pcm16(pcm, quantized_sine(440.0, 0.3, 8001, 8000), 1, 8000);
  const std::string ulaw = scratch("odd_ulaw.wav");
  tw::test::run_sox({pcm, "-e", "mu-law", ulaw});
  tw::io::AudioFileSource source(ulaw);
  CHECK(source.format().frames == 8001);
  CHECK(tw::io::read_all(source).size() == 8001);
}

TEST_CASE("an empty file and a WAV with no samples are 'empty'", "[io]") {
  const std::string zero = scratch("zero_bytes.wav");
  tw::test::write_bytes(zero, "");
  check_fails(zero, AudioErrorKind::empty);
  const std::string no_samples = scratch("no_samples.wav");
  tw::test::write_wav_pcm16(no_samples, {}, 1, 8000);
  REQUIRE(std::filesystem::file_size(no_samples) == 44);
  check_fails(no_samples, AudioErrorKind::empty);
}

TEST_CASE("three channels are 'too many channels'", "[io]") {
  const std::string path = scratch("three_channels.wav");
  tw::test::write_wav_pcm16(path, std::vector<float>(3 * 800, 0.1f), 3, 8000);
  check_fails(path, AudioErrorKind::too_many_channels);
  // Two are fine: one per speaker role.
  const std::string two = scratch("two_channels.wav");
  tw::test::write_wav_pcm16(two, std::vector<float>(2 * 800, 0.1f), 2, 8000);
  AudioFileSource source(two);
  CHECK(source.format().channels == 2);
  CHECK(source.format().frames == 800);
}

TEST_CASE("a 96 kHz file is 'unsupported'", "[io]") {
  const std::string path = scratch("hires_96k.wav");
  tw::test::write_wav_pcm16(path, quantized_sine(1000.0, 0.1, 9600, 96000), 1, 96000);
  check_fails(path, AudioErrorKind::unsupported);
}

TEST_CASE("headerless raw s16 and G.711 read with RawFormat give the right samples", "[io]") {
  SECTION("s16 little- and big-endian") {
    std::vector<std::int16_t> samples;
    for (int i = -32768; i < 32768; i += 257) samples.push_back(static_cast<std::int16_t>(i));
    samples.push_back(32767);
    const std::string path = scratch("call.s16");
    tw::test::write_raw_s16(path, samples);
    tw::io::FileSourceOptions options;
    options.raw = tw::io::RawFormat{8000, tw::io::RawEncoding::pcm_s16, 1, false};
    const auto x = read_file(path, options);
    REQUIRE(x.size() == samples.size());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) wrong += x[i] != tw::test::s16_to_float(samples[i]);
    CHECK(wrong == 0);
    // The same bytes read as big-endian are byte-swapped values.
    options.raw->big_endian = true;
    const auto swapped = read_file(path, options);
    REQUIRE(swapped.size() == samples.size());
    wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const auto u = static_cast<std::uint16_t>(samples[i]);
      const auto s = static_cast<std::int16_t>(static_cast<std::uint16_t>((u >> 8) | (u << 8)));
      wrong += swapped[i] != tw::test::s16_to_float(s);
    }
    CHECK(wrong == 0);
  }
  SECTION("every u-law and A-law code decodes to its G.711 value") {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
    const std::string path = scratch("all_codes.g711");
    tw::test::write_bytes(path, bytes);
    for (const auto encoding : {tw::io::RawEncoding::ulaw, tw::io::RawEncoding::alaw}) {
      tw::io::FileSourceOptions options;
      options.raw = tw::io::RawFormat{8000, encoding, 1, false};
      const auto x = read_file(path, options);
      REQUIRE(x.size() == 256);
      std::size_t wrong = 0;
      for (int b = 0; b < 256; ++b) {
        const auto byte = static_cast<std::uint8_t>(b);
        const std::int16_t expected = encoding == tw::io::RawEncoding::ulaw ? ulaw_to_s16(byte) : alaw_to_s16(byte);
        if (x[static_cast<std::size_t>(b)] != tw::test::s16_to_float(expected)) {
          ++wrong;
          UNSCOPED_INFO("code " << b << ": got " << x[static_cast<std::size_t>(b)] * 32768.0f << ", G.711 " << expected);
        }
      }
      INFO((encoding == tw::io::RawEncoding::ulaw ? "u-law" : "A-law"));
      CHECK(wrong == 0);
    }
  }
  SECTION("a raw file with an odd byte count is not silently padded") {
    const std::string path = scratch("odd.s16");
    tw::test::write_bytes(path, std::string(1001, '\x01'));
    tw::io::FileSourceOptions options;
    options.raw = tw::io::RawFormat{};
    const auto x = read_file(path, options);
    CHECK(x.size() == 500);
  }
  SECTION("unknown raw encoding names are rejected listing the accepted ones") {
    CHECK(tw::io::parse_raw_encoding("ulaw") == tw::io::RawEncoding::ulaw);
    CHECK_THROWS_WITH(tw::io::parse_raw_encoding("mp3"), Catch::Contains("s16") && Catch::Contains("mp3"));
  }
}

TEST_CASE("FLAC and u-law / A-law WAV decode to within the codec's error", "[io]") {
  // A voice-like test signal: two tones and a decaying envelope, peak ~0.5.
  const int rate = 8000;
  std::vector<float> original(16000);
  for (std::size_t i = 0; i < original.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    const double v = (0.3 * std::sin(2 * std::numbers::pi * 220.0 * t) + 0.15 * std::sin(2 * std::numbers::pi * 1370.0 * t)) *
                     (0.2 + 0.8 * std::exp(-t));
    original[i] = static_cast<float>(std::round(v * 32768.0) / 32768.0);
  }
  const std::string wav = scratch("codec_source.wav");
  tw::test::write_wav_pcm16(wav, original, 1, rate);
  REQUIRE(read_file(wav) == original);  // PCM reads back bit-exact

  // -D: no dither, so the only error is the codec's own quantization.
  SECTION("FLAC is lossless") {
    const std::string flac = scratch("codec.flac");
    tw::test::run_sox({"-D", wav, flac});
    AudioFileSource source(flac);
    CHECK(source.format().description.find("FLAC") != std::string::npos);
    CHECK(tw::io::read_all(source) == original);
  }
  for (const char* encoding : {"mu-law", "a-law"}) {
    SECTION(std::string(encoding) + " WAV") {
      const std::string path = scratch(std::string("codec_") + encoding + ".wav");
      tw::test::run_sox({"-D", wav, "-e", encoding, path});
      AudioFileSource source(path);
      const auto x = tw::io::read_all(source);
      REQUIRE(x.size() == original.size());
      // G.711 keeps 4 mantissa bits per segment: the error of a sample is at
      // most half a step, about 1/32 of its magnitude, plus half the smallest
      // step (16/32768 covers both laws' first segments).
      std::size_t over = 0;
      double error_energy = 0.0, signal_energy = 0.0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double error = std::abs(static_cast<double>(x[i]) - original[i]);
        if (error > std::abs(original[i]) / 30.0 + 16.0 / 32768.0) ++over;
        error_energy += error * error;
        signal_energy += static_cast<double>(original[i]) * original[i];
      }
      const double snr_db = 10.0 * std::log10(signal_energy / error_energy);
      INFO(encoding << ": " << source.format().description << ", SNR " << snr_db << " dB");
      CHECK(over == 0);
      CHECK(snr_db >= 30.0);  // G.711 gives about 38 dB on speech-level signals
      CHECK(snr_db <= 45.0);  // and it really went through the 8-bit codec
    }
  }
}

TEST_CASE("a 16 kHz file is resampled to 8 kHz: length / level / and no aliasing", "[io]") {
  // Stereo 16 kHz, 2 s: a 1 kHz tone at -20 dBFS on the left, on the right
  // tones above the 4 kHz output Nyquist that would alias into the voice band
  // (5 kHz -> 3 kHz, 6.5 kHz -> 1.5 kHz) if they were not filtered out.
  const int rate = 16000;
  const std::size_t frames = 2 * rate;
  const auto left = quantized_sine(1000.0, 0.1, frames, rate);
  const auto high_a = quantized_sine(5000.0, 0.1, frames, rate);
  const auto high_b = quantized_sine(6500.0, 0.1, frames, rate);
  std::vector<float> interleaved(2 * frames);
  for (std::size_t i = 0; i < frames; ++i) {
    interleaved[2 * i] = left[i];
    interleaved[2 * i + 1] = high_a[i] + high_b[i];
  }
  const std::string path = scratch("wideband_16k.wav");
  tw::test::write_wav_pcm16(path, interleaved, 2, rate);

  AudioFileSource file(path);
  tw::io::ResamplingSource resampled(file, 8000);
  CHECK(resampled.format().sample_rate_hz == 8000);
  CHECK(resampled.format().channels == 2);
  CHECK(resampled.format().frames == static_cast<std::int64_t>(frames / 2));
  const auto out = tw::io::read_all(resampled);
  REQUIRE(out.size() % 2 == 0);
  const auto out_frames = static_cast<std::int64_t>(out.size() / 2);
  INFO(out_frames << " frames out of " << frames << " at 16 kHz");
  CHECK(std::abs(out_frames - static_cast<std::int64_t>(frames / 2)) <= 1);

  std::vector<float> l(static_cast<std::size_t>(out_frames)), r(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) {
    l[i] = out[2 * i];
    r[i] = out[2 * i + 1];
  }
  // Away from the edges (the filter's start-up and end), 1.5 s in the middle.
  const std::size_t begin = 2000, n = 12000;
  const double left_db = rms_db(l.data() + begin, n);
  const double right_db = rms_db(r.data() + begin, n);
  INFO("1 kHz tone " << left_db << " dBFS; tones above 4 kHz " << right_db << " dBFS after resampling");
  CHECK(left_db == Approx(-20.0).margin(0.2));
  CHECK(right_db < -80.0);  // 5 and 6.5 kHz at -20 dBFS each: removed, not folded
  // No delay: the tone lines up with an ideal 1 kHz sine sampled at 8 kHz.
  double max_error = 0.0;
  for (std::size_t i = begin; i < begin + n; ++i) {
    const double ideal = 0.1 * std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / 8000.0);
    max_error = std::max(max_error, std::abs(l[i] - ideal));
  }
  CHECK(max_error < 0.002);

  // load_channel picks a channel, or averages them.
  const auto right_only = tw::io::load_channel(path, 8000, 1);
  REQUIRE(right_only.size() == r.size());
  CHECK(rms_db(right_only.data() + begin, n) < -80.0);
  const auto mean = tw::io::load_channel(path, 8000, -1);
  REQUIRE(mean.size() == l.size());
  CHECK(rms_db(mean.data() + begin, n) == Approx(-26.02).margin(0.2));  // half the amplitude
  CHECK_THROWS_AS(tw::io::load_channel(path, 8000, 2), std::invalid_argument);
}
