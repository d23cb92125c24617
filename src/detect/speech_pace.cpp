#include "detect/speech_pace.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::detect {

SpeechPace::SpeechPace(float speech_s, float min_syllables) : speech_s_(speech_s), min_syllables_(min_syllables) {
  if (!(speech_s >= 1.0f && speech_s <= 60.0f)) throw std::invalid_argument("pace_speech_s must be in 1..60 (seconds of speech)");
  if (!(min_syllables >= 0.0f && min_syllables <= 1000.0f)) throw std::invalid_argument("pace_min_syllables must be in 0..1000");
}

void SpeechPace::add(const ProsodyVector& window) noexcept {
  if (!(window.new_speech_s > 0.0f)) return;  // silence: the pace holds still
  steps_[next_] = {window.new_speech_s, std::max(0.0f, window.new_syllables)};
  next_ = (next_ + 1) % kSteps;
  count_ = std::min(count_ + 1, kSteps);
}

float SpeechPace::pace() const noexcept {
  float speech = 0.0f, syllables = 0.0f;
  for (std::size_t i = 0; i < count_; ++i) {
    const Step& step = steps_[(next_ + kSteps - 1 - i) % kSteps];
    speech += step.speech_s;
    syllables += step.syllables;
    if (speech >= speech_s_ && syllables >= min_syllables_) return syllables / speech;
  }
  return NAN;
}

}  // namespace tw::detect
