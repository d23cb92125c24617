#pragma once
// The shape every detection rule shares: an episode that opens and closes with
// hysteresis, a minimum duration and a cool-down.

#include <cstdint>

namespace tw::detect {

struct EpisodeTiming {
  /// The open condition must hold this long before the episode opens.
  double min_duration_s = 3.0;
  /// The close condition must hold this long before the episode closes.
  double release_s = 3.0;
  /// After closing, the episode cannot reopen for this long.
  double cooldown_s = 10.0;
};

enum class EpisodeChange { none, opened, closed };

/// Time-driven state machine. The caller evaluates its own open and close
/// conditions (the two thresholds give the hysteresis) and feeds them with the
/// stream time; the tracker applies the timing. Allocation-free.
class EpisodeTracker {
 public:
  /// Throws std::invalid_argument for negative durations.
  explicit EpisodeTracker(const EpisodeTiming& timing);

  /// One observation. `open_condition` is tested while closed, `close_condition`
  /// while open. Returns what changed at this time.
  EpisodeChange update(double time_s, bool open_condition, bool close_condition) noexcept;

  bool is_open() const noexcept { return open_; }
  /// When the open condition started to hold for the current or last episode
  /// (the episode's evidence "since").
  double onset_s() const noexcept { return onset_s_; }
  /// When the current or last episode opened.
  double opened_s() const noexcept { return opened_s_; }
  void reset() noexcept;

 private:
  EpisodeTiming timing_;
  bool open_ = false;
  bool pending_ = false;      // condition holding, waiting for its duration
  double pending_since_s_ = 0.0;
  double onset_s_ = 0.0;
  double opened_s_ = 0.0;
  double closed_s_ = -1e300;
};

}  // namespace tw::detect
