#include "detect/prosody_vector.h"

namespace tw::detect {

ProsodyVector prosody_from_window(const features::WindowSummary& w) noexcept {
  ProsodyVector v;
  v[Prosody::f0_median_st] = w.f0_median_st;
  v[Prosody::f0_range_st] = w.f0_range_st;
  v[Prosody::loudness_db] = w.loudness_median_db;
  v[Prosody::loudness_range_db] = w.loudness_range_db;
  v[Prosody::alpha_ratio_db] = w.alpha_ratio_db;
  v[Prosody::hnr_db] = w.hnr_db;
  v[Prosody::speaking_rate_syl_per_s] = w.speaking_rate_syl_per_s;
  v[Prosody::voiced_fraction] = w.voiced_fraction;
  v.speech_s = w.speech_s;
  v.new_speech_s = w.new_speech_s;
  v.voiced_s = w.voiced_s;
  v.new_syllables = static_cast<float>(w.new_syllables);
  return v;
}

}  // namespace tw::detect
