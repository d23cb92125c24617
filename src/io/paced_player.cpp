#include "io/paced_player.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace tw::io {
namespace {

double checked_speed(double speed) {
  if (!(speed > 0.0) || speed > 1000.0) throw std::invalid_argument("PacedPlayer: speed must be in (0, 1000], got " + std::to_string(speed));
  return speed;
}

}  // namespace

PacedPlayer::PacedPlayer(AudioSource& source, const PacedPlayerOptions& options)
    : source_(source),
      options_(options),
      buffer_(source.format().sample_rate_hz, static_cast<std::size_t>(source.format().channels), options.ring_s) {
  checked_speed(options.speed);
  if (!(options.period_s >= 0.001) || options.period_s > 1.0) {
    throw std::invalid_argument("PacedPlayer: period must be 1 ms to 1 s, got " + std::to_string(options.period_s));
  }
  const auto frames = static_cast<std::size_t>(std::max(1L, std::lround(options.period_s * source.format().sample_rate_hz)));
  block_.resize(frames * buffer_.channels());
}

PacedPlayer::~PacedPlayer() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void PacedPlayer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { play(); });
}

void PacedPlayer::stop() noexcept { stop_.store(true, std::memory_order_release); }

std::string PacedPlayer::error() const { return buffer_.ended() ? error_ : std::string(); }

void PacedPlayer::play() noexcept {
  using clock = std::chrono::steady_clock;
  const std::size_t channels = buffer_.channels();
  const double rate_hz = source_.format().sample_rate_hz;
  const clock::time_point start = clock::now();
  std::uint64_t frames_played = 0;
  try {
    while (!stop_.load(std::memory_order_acquire)) {
      const std::size_t frames = source_.read(block_);
      if (frames == 0) {
        reached_end_.store(true, std::memory_order_release);
        break;
      }
      // A device hands over a period once it has been captured: wait until the
      // period's last frame is due, measured from the start (no accumulated drift).
      frames_played += frames;
      const auto due = start + std::chrono::duration_cast<clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(frames_played) / rate_hz / options_.speed));
      std::this_thread::sleep_until(due);
      buffer_.write(std::span<const float>(block_.data(), frames * channels));
    }
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  buffer_.end();
}

}  // namespace tw::io
