#pragma once
// A speaker's pace over their last few seconds of speech, whatever the turns.

#include <array>
#include <cstddef>

#include "detect/prosody_vector.h"

namespace tw::detect {

/// Syllables over speech time across the speaker's most recent `speech_s` seconds of
/// speech, gathered second by second from the windows' new speech. It holds still
/// while the speaker is silent, so three short turns at another pace add up to one
/// reading (a window's own rate sees one turn's edge at a time), and a ratio of sums
/// is not pulled up, as a median of window rates is, by windows holding a second of
/// speech and a turn's edge. Allocation-free.
class SpeechPace {
 public:
  /// The pace over at least speech_s of speech holding at least min_syllables.
  /// Throws std::invalid_argument unless speech_s is in 1..60 and min_syllables in 0..1000.
  SpeechPace(float speech_s, float min_syllables);
  /// One window (once a second). Real-time safe.
  void add(const ProsodyVector& window) noexcept;
  /// Syllables per second over the last speech_s of speech (and min_syllables);
  /// NaN until there is that much.
  float pace() const noexcept;
  void reset() noexcept { next_ = count_ = 0; }

 private:
  struct Step {
    float speech_s, syllables;
  };
  // A step holds at most a second of speech (the summary period); 128 of them
  // cover speech_s even when the speaker says little each second.
  static constexpr std::size_t kSteps = 128;
  float speech_s_, min_syllables_;
  std::array<Step, kSteps> steps_{};
  std::size_t next_ = 0, count_ = 0;
};

}  // namespace tw::detect
