#pragma once
// A recording played into a CaptureBuffer at real-time pace, from a thread that
// stands in for a sound device's callback: `tonewatch live --simulate FILE` and the
// tests drive the whole live path (ring, analysis thread, terminal view) with it.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "io/audio_source.h"
#include "io/capture_buffer.h"

namespace tw::io {

struct PacedPlayerOptions {
  double speed = 1.0;     ///< 1 = real time, 4 = four times as fast; > 0
  double period_s = 0.02; ///< audio per simulated callback (20 ms, a typical host period)
  double ring_s = 4.0;    ///< the buffer's capacity, as for a device
};

class PacedPlayer {
 public:
  /// `source` (any rate, 1 or 2 channels) is read from the player's thread only and
  /// must outlive the player. Throws std::invalid_argument for a bad speed or period.
  PacedPlayer(AudioSource& source, const PacedPlayerOptions& options);
  /// Stops and joins the thread.
  ~PacedPlayer();
  PacedPlayer(const PacedPlayer&) = delete;
  PacedPlayer& operator=(const PacedPlayer&) = delete;

  /// Starts playing; the buffer ends when the source does (or on stop()).
  void start();
  /// Stops early: the buffer ends after what was already written. Never throws.
  void stop() noexcept;

  CaptureBuffer& buffer() noexcept { return buffer_; }
  const CaptureBuffer& buffer() const noexcept { return buffer_; }
  /// Whether the source ended (rather than being stopped or failing).
  bool reached_end() const noexcept { return reached_end_.load(std::memory_order_acquire); }
  /// Why reading the source failed, empty if it did not. Valid once the buffer has ended.
  std::string error() const;

 private:
  void play() noexcept;

  AudioSource& source_;
  PacedPlayerOptions options_;
  CaptureBuffer buffer_;
  std::vector<float> block_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reached_end_{false};
  std::string error_;  // written by the player thread before the buffer ends
  std::thread thread_;
};

}  // namespace tw::io
