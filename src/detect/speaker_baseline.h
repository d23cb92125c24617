#pragma once
// Each speaker measured against their own voice: a robust running baseline that
// starts from the population of voices in the speaker's pitch register.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detect/prosody_vector.h"

namespace tw::detect {

/// Low (typically adult male) or high (typically adult female) voice: calm adult
/// voices fall into two pitch registers about an octave apart (Titze 1989:
/// speaking F0 near 120 Hz and 210 Hz), and other features (HNR, spectral
/// balance) differ between them too.
enum class VoiceRegister : std::uint8_t { unknown, low, high };

inline constexpr std::string_view to_string(VoiceRegister r) noexcept {
  return r == VoiceRegister::low ? "low" : r == VoiceRegister::high ? "high" : "unknown";
}

/// Calm speech of the speakers of one register: the median of each feature and
/// the between-speaker scale of the speakers' own medians around it.
struct RegisterPrior {
  std::array<float, kProsodyCount> median{};
  std::array<float, kProsodyCount> spread{};
};

/// Population figures from the model file that stand in for a speaker until
/// their own baseline is learned: typical calm-speech level of each feature, its
/// typical within-speaker spread (the unit deviations are measured in), and how
/// far speakers' own calm levels lie from the population's (between-speaker
/// spread; 0 when the model does not say). Optionally the same per pitch register.
struct BaselinePrior {
  std::array<float, kProsodyCount> median{};
  std::array<float, kProsodyCount> scale{};
  std::array<float, kProsodyCount> spread{};
  bool has_registers = false;
  /// A calm F0 median (semitones re 27.5 Hz) below this is a low voice.
  float register_boundary_st = 0.0f;
  RegisterPrior low, high;
};

struct BaselineConfig {
  /// Windows with less voice-active time than this teach the baseline nothing.
  float min_speech_s = 1.0f;
  /// Qualifying windows collected before the baseline counts as the speaker's own.
  std::size_t learning_windows = 8;
  /// While learning, the prior counts as this many windows (shrinkage), so the
  /// first windows move the baseline smoothly away from the population.
  float prior_weight_windows = 2.0f;
  /// After learning the median tracks slowly: per qualifying window it moves by
  /// this fraction of the feature's scale toward the new value (a stochastic
  /// median estimate), so a drifting voice is followed over minutes, not seconds.
  float adaptation_scale_per_window = 0.02f;
  /// A window with this much voiced speech shows the speaker's pitch register
  /// (a window's F0 median from 100 voiced hops is steady to a semitone or so).
  float register_min_voiced_s = 1.0f;
  /// A raised voice is never learned as the speaker's own, whatever the model's
  /// score: a window is refused when one effort cue (pitch level, loudness, alpha
  /// ratio: what rises together with vocal effort, Traunmueller & Eriksson 2000)
  /// lies extreme_cue_units or more above the calm voices of the speaker's
  /// register, or the three together average extreme_mean_units or more above
  /// them. The unit is the register's within-speaker scale and its spread between
  /// speakers in quadrature, so a high voice is not a raised one: a calm speaker
  /// two between-speaker spreads from the register's median still reads under
  /// 2 units. The agitation model alone let windows scoring up to its learning bar
  /// (0.8) in: an agent shouting 10-20 s into the call, or a caller angry from the
  /// first word, became their own baseline (issue 27).
  float extreme_cue_units = 4.0f;
  float extreme_mean_units = 2.0f;
};

/// What a speaker's deviations are measured against.
enum class BaselineReference : std::uint8_t {
  population,   ///< the mixed population prior alone: says more about the voice than the mood
  voice_register,  ///< the calm voices of the speaker's pitch register
  learning,     ///< the speaker's own first calm windows, shrunk toward the register
  established,  ///< the speaker's own calm voice
};

inline constexpr std::string_view to_string(BaselineReference r) noexcept {
  switch (r) {
    case BaselineReference::population: return "population";
    case BaselineReference::voice_register: return "register";
    case BaselineReference::learning: return "learning";
    case BaselineReference::established: return "established";
  }
  return "population";
}

/// One speaker's baseline: median per feature, never updated on silence (too
/// little speech) nor on windows the caller marks agitated, once the verdict
/// means something (measured against the speaker's register or own voice, not
/// the mixed population). Deviations are in units of the within-speaker scale
/// widened by what is still unknown about this speaker's calm level: the
/// register's between-speaker spread times the prior's share of the baseline.
class SpeakerBaseline {
 public:
  /// Throws std::invalid_argument naming a bad config field or a non-positive prior scale.
  SpeakerBaseline(const BaselineConfig& config, const BaselinePrior& prior);

  /// Reads the speaker's pitch register from a window with enough voiced speech
  /// (while the baseline learns; from its own calm windows once it has some).
  /// Call before deviation() on each window. Real-time safe.
  void observe_register(const ProsodyVector& window) noexcept;

  /// Offers a window. Returns true when it was learned from: it holds at least
  /// min_speech_s of speech, and is not marked agitated (a verdict against the
  /// mixed population alone is not trusted: it says how unusual a voice is). A
  /// model with registers learns nothing before the register is known. Real-time safe.
  bool update(const ProsodyVector& window, bool agitated) noexcept;

  /// True when the window's effort cues lie extreme_cue_units / extreme_mean_units
  /// or more above the calm voices of the speaker's register (see BaselineConfig):
  /// a raised voice, never learned. Real-time safe.
  bool extreme(const ProsodyVector& window) const noexcept;

  /// Deviation of each feature from the baseline in units of its current scale:
  /// (value - median) / scale; NaN where the window lacks the feature. Real-time safe.
  ProsodyVector deviation(const ProsodyVector& window) const noexcept;

  float median(Prosody p) const noexcept { return median_[static_cast<std::size_t>(p)]; }
  /// The unit of deviation() for this feature now: the within-speaker scale,
  /// widened while the baseline is still partly the population's.
  float scale(Prosody p) const noexcept { return scale_[static_cast<std::size_t>(p)]; }
  /// True once learning_windows windows were learned from: the baseline is the speaker's.
  bool established() const noexcept { return windows_learned_ >= config_.learning_windows; }
  std::size_t windows_learned() const noexcept { return windows_learned_; }
  VoiceRegister voice_register() const noexcept { return register_; }
  BaselineReference reference() const noexcept;
  void reset() noexcept;

 private:
  static constexpr std::size_t kMaxLearningWindows = 64;
  void recompute(std::size_t feature) noexcept;
  float observed_median(std::size_t feature) const noexcept;
  void set_register(VoiceRegister r) noexcept;
  // The calm voices a speaker is judged against before their own: their register's,
  // or the whole population's while the register is unknown.
  const RegisterPrior& calm_voices() const noexcept;

  BaselineConfig config_;
  BaselinePrior prior_;
  RegisterPrior population_;  // prior_'s population median and spread, as a register
  VoiceRegister register_ = VoiceRegister::unknown;
  std::array<float, kProsodyCount> median_{};
  std::array<float, kProsodyCount> scale_{};
  std::size_t windows_learned_ = 0;
  // Learning phase: the values seen per feature (bounded).
  std::array<std::array<float, kMaxLearningWindows>, kProsodyCount> learned_{};
  std::array<std::size_t, kProsodyCount> learned_count_{};
};

}  // namespace tw::detect
