// The hand-off from a sound device's callback (or a file played in its place) to
// the analysis thread: whole frames, every loss counted, nothing allocated in the
// callback, and the producer's clock stamped for drift measurement.

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "io/audio_file_source.h"
#include "io/capture_buffer.h"
#include "io/paced_player.h"
#include "support/allocation_counter.h"
#include "support/shared_data.h"
#include "support/test_wav.h"

using tw::io::CaptureBuffer;

namespace {

std::vector<float> ramp(std::size_t frames, std::size_t channels, float start = 0.0f) {
  std::vector<float> x(frames * channels);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = start + static_cast<float>(i) * 1e-6f;
  return x;
}

}  // namespace

TEST_CASE("CaptureBuffer rejects a bad rate / channel count / capacity", "[io][capture]") {
  CHECK_THROWS_AS(CaptureBuffer(0, 2, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(CaptureBuffer(400000, 2, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(CaptureBuffer(8000, 0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(CaptureBuffer(8000, 2, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(CaptureBuffer(8000, 2, 601.0), std::invalid_argument);
}

TEST_CASE("CaptureBuffer passes whole frames and counts the ones that do not fit", "[io][capture]") {
  CaptureBuffer buffer(8000, 2, 0.1);  // room for at least 800 frames
  REQUIRE(buffer.available_frames() == 0);
  const std::vector<float> block = ramp(3000, 2);
  buffer.write(block);
  const tw::io::CaptureCounters c = buffer.counters();
  CHECK(c.frames_delivered == 3000);
  CHECK(c.callbacks == 1);
  const std::size_t kept = buffer.available_frames();
  CHECK(kept >= 800);
  CHECK(kept < 3000);
  CHECK(c.ring_overflow_frames == 3000 - kept);
  // What is read is the start of what was written, frame-aligned.
  std::vector<float> out(kept * 2 + 7);  // an odd size: only whole frames are read
  const std::size_t read = buffer.read(out);
  CHECK(read == kept);
  bool same = true;
  for (std::size_t i = 0; i < read * 2; ++i) same = same && out[i] == block[i];
  CHECK(same);
  CHECK_FALSE(buffer.drained());
  buffer.end();
  CHECK(buffer.drained());
}

TEST_CASE("CaptureBuffer counts the host's overflow and underflow flags", "[io][capture]") {
  CaptureBuffer buffer(16000, 1, 1.0);
  buffer.count_status(true, false);
  buffer.count_status(true, true);
  buffer.count_status(false, false);
  CHECK(buffer.counters().input_overflows == 2);
  CHECK(buffer.counters().input_underflows == 1);
}

TEST_CASE("CaptureBuffer write allocates nothing / the callback contract", "[io][capture]") {
  CaptureBuffer buffer(48000, 2, 1.0);
  const std::vector<float> block = ramp(512, 2);
  std::vector<float> out(4096);
  buffer.write(block);
  buffer.read(out);
  std::size_t allocations = 0;
  {
    tw::test::AllocationScope scope;
    for (int i = 0; i < 1000; ++i) {
      buffer.count_status(false, false);
      buffer.write(block);
      if (i % 4 == 3) buffer.read(out);
    }
    allocations = scope.allocations();
  }
  CHECK(allocations == 0);
}

TEST_CASE("CaptureBuffer delivers every frame in order from a producer thread / with clock stamps", "[io][capture]") {
  CaptureBuffer buffer(8000, 2, 0.05);
  constexpr std::size_t kFrames = 200000;
  std::thread producer([&] {
    std::vector<float> block(2 * 37);
    std::size_t next = 0;
    while (next < kFrames) {
      const std::size_t n = std::min<std::size_t>(37, kFrames - next);
      // Wait for room, so nothing overflows: the test is about order and wholeness.
      while (buffer.available_frames() + n > 400) std::this_thread::yield();
      for (std::size_t f = 0; f < n; ++f) {
        block[2 * f] = static_cast<float>(next + f);
        block[2 * f + 1] = -static_cast<float>(next + f);
      }
      buffer.write(std::span<const float>(block.data(), n * 2));
      next += n;
    }
    buffer.end();
  });
  std::vector<float> out(2 * 101);
  std::size_t expected = 0;
  std::size_t wrong = 0;
  std::uint64_t last_stamp_frames = 0;
  std::int64_t last_stamp_ns = 0;
  bool stamps_monotone = true;
  while (!buffer.drained()) {
    const std::size_t n = buffer.read(out);
    for (std::size_t f = 0; f < n; ++f) {
      wrong += out[2 * f] != static_cast<float>(expected) || out[2 * f + 1] != -static_cast<float>(expected);
      ++expected;
    }
    tw::io::ClockStamp stamp;
    if (buffer.clock_stamp(stamp)) {
      stamps_monotone = stamps_monotone && stamp.frames >= last_stamp_frames && stamp.steady_ns >= last_stamp_ns;
      last_stamp_frames = stamp.frames;
      last_stamp_ns = stamp.steady_ns;
    }
  }
  producer.join();
  CHECK(expected == kFrames);
  CHECK(wrong == 0);
  CHECK(buffer.counters().ring_overflow_frames == 0);
  CHECK(stamps_monotone);
  tw::io::ClockStamp final_stamp;
  REQUIRE(buffer.clock_stamp(final_stamp));
  CHECK(final_stamp.frames == kFrames);
}

TEST_CASE("PacedPlayer plays a file into its buffer sample for sample and no faster than asked", "[io][capture]") {
  const std::string path = tw::test::scratch_dir() + "/paced.wav";
  std::vector<float> audio(2 * 8000);  // one second of stereo 8 kHz
  for (std::size_t i = 0; i < audio.size(); ++i) audio[i] = std::sin(0.01f * static_cast<float>(i)) * 0.5f;
  tw::test::write_wav_pcm16(path, audio, 2, 8000);
  tw::io::AudioFileSource file(path);
  tw::io::PacedPlayerOptions options;
  options.speed = 4.0;
  tw::io::PacedPlayer player(file, options);
  const auto start = std::chrono::steady_clock::now();
  player.start();
  std::vector<float> got, out(2 * 256);
  while (!player.buffer().drained()) {
    const std::size_t n = player.buffer().read(out);
    got.insert(got.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n * 2));
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(player.reached_end());
  CHECK(player.error().empty());
  REQUIRE(got.size() == audio.size());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    // The file holds each sample rounded to 16 bits as write_wav_pcm16 rounds it.
    const auto s16 = static_cast<std::int16_t>(std::round(static_cast<double>(audio[i]) * 32768.0));
    wrong += got[i] != tw::test::s16_to_float(s16);
  }
  CHECK(wrong == 0);
  // One second at 4x is delivered over 0.25 s: a paced source cannot be early.
  CHECK(elapsed_s >= 0.25 - 0.021);
  CHECK(player.buffer().counters().callbacks == 50);  // 20 ms periods
}

TEST_CASE("PacedPlayer rejects a bad speed or period", "[io][capture]") {
  const std::string path = tw::test::scratch_dir() + "/paced-bad.wav";
  tw::test::write_wav_pcm16(path, std::vector<float>(1600, 0.0f), 1, 8000);
  tw::io::AudioFileSource file(path);
  for (double speed : {0.0, -1.0, 1001.0, std::numeric_limits<double>::quiet_NaN()}) {
    tw::io::PacedPlayerOptions o;
    o.speed = speed;
    INFO("speed " << speed);
    CHECK_THROWS_AS(tw::io::PacedPlayer(file, o), std::invalid_argument);
  }
  tw::io::PacedPlayerOptions o;
  o.period_s = 0.0;
  CHECK_THROWS_AS(tw::io::PacedPlayer(file, o), std::invalid_argument);
}
