#include "support/cli_fixtures.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "support/synth.h"
#include "support/test_wav.h"

namespace tw::test {

std::vector<float> synthetic_call(double seconds, std::uint32_t seed) {
  constexpr int kRate = 8000;
  const auto frames = static_cast<std::size_t>(seconds * kRate);
  std::vector<float> stereo(2 * frames, 0.0f);
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> turn_s(1.2, 2.5), f0_jitter(-0.08, 0.08);
  std::size_t at = 0;
  for (int turn = 0; at < frames; ++turn) {
    const int channel = turn % 2;
    const double length_s = turn_s(random);
    const double f0 = (channel == 0 ? 210.0 : 120.0) * (1.0 + f0_jitter(random));
    std::vector<float> voice = harmonic_complex(f0, -24.0, length_s, kRate, 1.5, 4.0);
    // Syllable-like amplitude modulation at ~4.5 Hz.
    for (std::size_t i = 0; i < voice.size(); ++i) {
      voice[i] *= static_cast<float>(0.55 + 0.45 * std::sin(2.0 * std::numbers::pi * 4.5 * static_cast<double>(i) / kRate));
    }
    for (std::size_t i = 0; i < voice.size() && at + i < frames; ++i) stereo[2 * (at + i) + channel] = voice[i];
    at += voice.size() + static_cast<std::size_t>(0.3 * kRate);
  }
  std::vector<float> left(frames), right(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    left[i] = stereo[2 * i];
    right[i] = stereo[2 * i + 1];
  }
  // A faint noise floor, as on a line.
  std::normal_distribution<double> noise(0.0, 0.0005);
  for (std::size_t i = 0; i < frames; ++i) {
    stereo[2 * i] = left[i] + static_cast<float>(noise(random));
    stereo[2 * i + 1] = right[i] + static_cast<float>(noise(random));
  }
  return stereo;
}

void write_synthetic_call(const std::string& path, double seconds, std::uint32_t seed) {
  write_wav_pcm16(path, synthetic_call(seconds, seed), 2, 8000);
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = read_text(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    FAIL("not valid JSON: " << path << ": " << e.what());
  }
  return {};
}

std::vector<std::string> temporaries_in(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) names.push_back(name);
  }
  return names;
}

FifoWavWriter::FifoWavWriter(const std::string& path, double promised_s, double written_s, double pace) {
  ::signal(SIGPIPE, SIG_IGN);  // a reader that goes away is an EPIPE, not the end of the tests
  std::filesystem::remove(path);
  if (::mkfifo(path.c_str(), 0666) != 0) FAIL("cannot make a FIFO at " << path);
  ::chmod(path.c_str(), 0666);
  thread_ = std::thread(&FifoWavWriter::write_all, this, path, promised_s, written_s, pace);
}

FifoWavWriter::~FifoWavWriter() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void FifoWavWriter::stop() { stop_ = true; }

void FifoWavWriter::write_all(std::string path, double promised_s, double written_s, double pace) {
  // Non-blocking open fails (ENXIO) while no reader has the FIFO open: retry,
  // so a reader that never comes does not hang the test.
  int fd = -1;
  while (!stop_ && (fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (fd < 0) return;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const auto put = [&](const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size() && !stop_) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;  // EPIPE: the reader has gone
      }
      done += static_cast<std::size_t>(n);
      written_ += n;
    }
    return done == bytes.size();
  };
  const std::vector<float> audio = synthetic_call(written_s, 7);
  bool open = put(wav_pcm16_header(2, 8000, static_cast<std::uint32_t>(promised_s * 8000)));
  constexpr std::size_t kChunkFrames = 800;  // 100 ms
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t frame = 0; open && !stop_ && frame < audio.size() / 2; frame += kChunkFrames) {
    if (pace > 0.0) {
      const auto due = start + std::chrono::duration<double>(static_cast<double>(frame) / 8000.0 / pace);
      while (!stop_ && std::chrono::steady_clock::now() < due) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::size_t end = std::min(audio.size() / 2, frame + kChunkFrames);
    open = put(pcm16_bytes(std::vector<float>(audio.begin() + static_cast<std::ptrdiff_t>(2 * frame),
                                              audio.begin() + static_cast<std::ptrdiff_t>(2 * end))));
  }
  ::close(fd);
}

}  // namespace tw::test
