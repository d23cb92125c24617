#pragma once
// The window-level prosodic features the detectors compare against a baseline.

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "features/window_summary.h"

namespace tw::detect {

/// Index of each feature in a ProsodyVector. Units are in the names.
enum class Prosody : std::size_t {
  f0_median_st,        ///< pitch level
  f0_range_st,         ///< pitch range (10th-90th percentile)
  loudness_db,         ///< median K-weighted loudness of voiced speech (of active speech when too little is voiced)
  loudness_range_db,   ///< loudness dynamics
  alpha_ratio_db,      ///< spectral balance: vocal effort
  hnr_db,              ///< harmonics-to-noise ratio: pressed or rough voice
  speaking_rate_syl_per_s,
  voiced_fraction,
  count
};
inline constexpr std::size_t kProsodyCount = static_cast<std::size_t>(Prosody::count);

/// What rises together when a voice is raised (Traunmueller & Eriksson 2000: level
/// climbs with vocal effort, and pitch and spectral balance with it): the raised-voice
/// rule's cues, in the order its evidence lists them, and what the baseline refuses
/// to learn when extreme.
inline constexpr std::array<Prosody, 3> kEffortCues = {Prosody::loudness_db, Prosody::f0_median_st,
                                                       Prosody::alpha_ratio_db};

/// Stable names, used in the model file and in alert evidence.
inline constexpr std::array<std::string_view, kProsodyCount> kProsodyNames = {
    "f0_median_st", "f0_range_st", "loudness_db", "loudness_range_db", "alpha_ratio_db",
    "hnr_db",       "speaking_rate_syl_per_s", "voiced_fraction"};

/// Words and units for messages a supervisor reads, in kProsodyNames order.
inline constexpr std::array<std::string_view, kProsodyCount> kProsodyLabels = {
    "pitch", "pitch range", "loudness", "loudness range", "vocal effort (alpha ratio)",
    "harmonics-to-noise", "speaking rate", "voiced share"};
inline constexpr std::array<std::string_view, kProsodyCount> kProsodyUnits = {
    "st", "st", "dB", "dB", "dB", "dB", "syl/s", ""};

/// Values of one window; NaN where the window could not measure a feature
/// (too little voiced speech for pitch, too little speech for a rate).
struct ProsodyVector {
  std::array<float, kProsodyCount> values{};
  float speech_s = 0.0f;  ///< voice-active time in the window: how much evidence it holds
  float new_speech_s = 0.0f;  ///< ... of it not held by the previous window (WindowSummary::new_speech_s)
  float voiced_s = 0.0f;      ///< voiced time in the window: how well it shows the pitch register
  float new_syllables = 0.0f;  ///< syllables among the hops new_speech_s counts (WindowSummary::new_syllables)

  float operator[](Prosody p) const noexcept { return values[static_cast<std::size_t>(p)]; }
  float& operator[](Prosody p) noexcept { return values[static_cast<std::size_t>(p)]; }
  bool has(Prosody p) const noexcept { return std::isfinite((*this)[p]); }
};

/// Picks the detector features out of a window summary. Real-time safe.
ProsodyVector prosody_from_window(const features::WindowSummary& window) noexcept;

}  // namespace tw::detect
