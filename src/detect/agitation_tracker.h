#pragma once
// Per-speaker agitation score every second, its smoothed level and trend, over
// speech time: silence neither dilutes nor adds evidence.

#include <array>
#include <cstddef>

#include "detect/agitation_model.h"
#include "detect/speaker_baseline.h"
#include "detect/speech_pace.h"

namespace tw::detect {

struct AgitationConfig {
  /// Windows with less voice-active time carry no new evidence: the score holds.
  float min_speech_s = 1.0f;
  /// Time constant of the smoothed level (an exponentially weighted moving
  /// average) in seconds of the speaker's speech, not of the clock: each window
  /// weighs with the speech it brings, so silence leaves the level where it was,
  /// and one 2 s turn moves it 63 % of the way to its score (the shortest angry
  /// turn a supervisor should hear about is about that long).
  float smoothing_speech_s = 2.0f;
  /// CUSUM for a sustained rise (Page 1954), in probability x seconds of speech:
  /// the sum of (score - reference) x speech, floored at 0; a rise is signalled
  /// at the threshold. The reference is the model's decision threshold, where a
  /// window is as likely agitated as calm (Page's k halfway between the calm and
  /// agitated means: the model's anger and neutral medians, 0.86 and 0.17 on
  /// telephone speech, straddle 0.5). The threshold needs 1.2 s of speech scored
  /// 1.0, or 2 s scored 0.8: one loud word (at most 0.5 s) adds at most 0.25.
  float cusum_reference = 0.5f;
  float cusum_threshold = 0.6f;
  /// The CUSUM reference while the speaker's baseline is not yet established
  /// (scored against the register prior or a partly learned baseline). There a
  /// calm voice is judged against other people's calm voices, and on a
  /// telephone line their channel too: between-speaker and channel offsets
  /// (pitch register edge, band-limited alpha ratio, intermittent octave errors
  /// of a high voice whose fundamental the line removed) put calm windows
  /// anywhere up to well past the decision threshold (0.6-0.7 measured on the
  /// calm IVR voice through a 300-3400 Hz line), while anger against the same
  /// prior scores about 0.9 (the v1 model's median for EmoDB anger on telephone
  /// speech, models/agitation-v1.json). Page's k halfway between the top of
  /// the calm range (0.7) and that agitated mean: 0.8. An angry caller from the
  /// first word still crosses the 0.6 threshold after 6 s of speech scored 0.9
  /// (3 s scored 1.0): within the ~10 s issue 10 asks for. The same bar decides,
  /// while the baseline learns, which windows are too agitated to teach it.
  float cusum_reference_unestablished = 0.8f;
  /// Slope of the smoothed level over this much of the speaker's speech, per
  /// minute of speech, for the report and the stage tracker.
  float trend_window_speech_s = 20.0f;
  /// The speaking rate judged against the baseline is the speaker's pace over
  /// their last this many seconds of speech (SpeechPace), not one window's: three
  /// short turns at 1.5x hold 4-5 s of speech (issue 27).
  float pace_speech_s = 4.0f;
  /// ... and at least this many syllables: the count's own noise sets how far one
  /// reading can be trusted, and a slow stretch holds fewer per second (three turns
  /// at 0.7x hold about 30 in 8 s). With slow at 2 units, 24 gave 69 slow false
  /// alarms over evaluate_calls --folds --suite all, against 92 with 16.
  float pace_min_syllables = 24.0f;
};

/// The tracker's view of one speaker after a window.
struct AgitationState {
  double time_s = 0.0;
  bool scored = false;        ///< this window held enough speech to be scored
  /// ... and was scored against the speaker's register or own voice, so it moved
  /// the level and the CUSUM. Windows scored against the mixed population prior
  /// alone never do: they say more about the voice than about the mood.
  bool counted = false;
  float weight_s = 0.0f;      ///< seconds of speech this window counted for
  float score = 0.0f;         ///< the model's probability for this window (last scored value if not scored)
  float smoothed = 0.0f;      ///< speech-time EWMA of the counted scores; starts at the model's calm level
  float slope_per_min = 0.0f; ///< least-squares slope of `smoothed` per minute of speech
  float cusum = 0.0f;
  bool rising = false;        ///< cusum above its threshold while the smoothed level still climbs
  bool baseline_established = false;
  BaselineReference reference = BaselineReference::population;  ///< what this window was scored against
  VoiceRegister voice_register = VoiceRegister::unknown;
  ProsodyVector window;       ///< the window's features
  ProsodyVector deviation;    ///< ... relative to the baseline, in scale units
  AgitationScore details;
};

/// One speaker: baseline, model score, smoothing and trend. The model is shared
/// and immutable; everything else is per stream.
class AgitationTracker {
 public:
  /// Throws std::invalid_argument naming a bad config field.
  AgitationTracker(const AgitationConfig& config, const BaselineConfig& baseline, const AgitationModel& model);
  /// One window summary (once a second). Allocation-free.
  const AgitationState& update(double time_s, const ProsodyVector& window) noexcept;
  const AgitationState& state() const noexcept { return state_; }
  const SpeakerBaseline& baseline() const noexcept { return baseline_; }
  /// Seconds of speech counted so far.
  double speech_counted_s() const noexcept { return speech_total_s_; }
  void reset() noexcept;

  /// Throws std::invalid_argument naming a bad field (also used by the config loader).
  static void validate(const AgitationConfig& config);

 private:
  static constexpr std::size_t kTrendCapacity = 256;

  AgitationConfig config_;
  const AgitationModel* model_;
  SpeakerBaseline baseline_;
  AgitationState state_;
  SpeechPace pace_;
  float pending_speech_s_ = 0.0f;  // speech not yet counted by a window
  double speech_total_s_ = 0.0;
  std::array<float, kTrendCapacity> trend_{};  // smoothed level per counted window
  std::array<double, kTrendCapacity> trend_speech_{};  // ... at this much counted speech
  std::size_t trend_count_ = 0, trend_next_ = 0;
};

}  // namespace tw::detect
