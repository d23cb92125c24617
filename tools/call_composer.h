#pragma once
// Builds a two-channel telephone test call from a script of EmoDB utterances,
// with the exact timeline as ground truth.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "features/speaker_role.h"
#include "tools/call_script.h"
#include "tools/emodb_catalog.h"

namespace tw::tools {

/// Channel of each role, the product-wide convention (as in Amazon Connect
/// recordings): left = caller, right = agent.
constexpr int channel_of(features::SpeakerRole role) noexcept {
  return role == features::SpeakerRole::caller ? 0 : 1;
}

/// Where one utterance's speech lies in the composed call.
struct UtteranceTruth {
  std::size_t turn = 0;  ///< index in the script's "turns" list
  features::SpeakerRole role = features::SpeakerRole::caller;
  const EmodbUtterance* source = nullptr;  ///< labels of the recording (owned by the catalog)
  double start_s = 0.0;                    ///< first syllable onset (or the file start without silb)
  double end_s = 0.0;                      ///< end of speech (or the file end without silb)
  double gain_db = 0.0;                    ///< the turn's gain_db
  double level_dbfs = 0.0;                 ///< P.56 active level as placed, dB re full-scale sine
  double peak_dbfs = 0.0;                  ///< sample peak as placed, dB re full scale
  std::string label, stage;
};

/// A turn's extent: from its first syllable to its last end of speech.
struct TurnTruth {
  std::size_t turn = 0;
  features::SpeakerRole role = features::SpeakerRole::caller;
  double start_s = 0.0, end_s = 0.0;
  double gap_s = 0.0;  ///< from the end of the speech before it (negative: overlap)
  double gain_db = 0.0;
  double tempo = 1.0;     ///< time-scaled by this (pitch kept)
  bool monotone = false;  ///< resynthesized with a level pitch and even loudness
  bool cut = false;       ///< stopped at cut_after_s, mid-utterance
  std::string label, stage;
};

/// Both speaking at once: `interrupter` started while `interrupted` was talking.
struct OverlapTruth {
  std::size_t turn = 0;              ///< the interrupting turn
  std::size_t interrupted_turn = 0;  ///< the turn talked over
  features::SpeakerRole interrupter = features::SpeakerRole::agent;
  features::SpeakerRole interrupted = features::SpeakerRole::caller;
  double start_s = 0.0, duration_s = 0.0;
  /// The interrupted turn ended inside the overlap while the interrupting one went on.
  bool interrupted_yielded = false;
  double interrupter_turn_s = 0.0;  ///< how long the interrupting turn lasted
};

/// Dead air from a silence entry: no speech on either channel from start_s to end_s.
struct SilenceTruth {
  std::size_t turn = 0;  ///< index of the silence entry in "turns"
  double start_s = 0.0, end_s = 0.0;
  std::string label;
};

struct CallTruth {
  int sample_rate_hz = 0;
  std::int64_t frames = 0;
  double duration_s = 0.0;
  double speech_level_dbfs = 0.0;
  double noise_floor_dbfs = 0.0;
  std::uint64_t seed = 0;
  std::vector<TurnTruth> turns;
  std::vector<UtteranceTruth> utterances;
  std::vector<OverlapTruth> overlaps;
  std::vector<SilenceTruth> silences;
};

/// Utterances prepared for composing (decoded, resampled, time-scaled, band-limited,
/// trimmed), kept for every later call that uses them. Thread-safe; must outlive
/// the compositions that use it.
class UtteranceCache {
 public:
  UtteranceCache();
  ~UtteranceCache();
  UtteranceCache(const UtteranceCache&) = delete;
  UtteranceCache& operator=(const UtteranceCache&) = delete;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The composed call: interleaved stereo (channel_of(role)) and its truth.
struct ComposedCall {
  static constexpr int kChannels = 2;
  std::vector<float> interleaved;
  CallTruth truth;
};

/// Composes the call. Each utterance is resampled to the script's rate
/// (libsoxr), time-scaled if its turn says so (sox tempo), made monotone if asked,
/// band-limited as the script's band says, trimmed to its speech (or its first
/// syllables) with short
/// margins and fades, set to speech_level_dbfs active level (EmoDB files are
/// peak-normalized, so their own levels carry no vocal effort) plus the turn's
/// gain_db, and placed on its role's channel; then each channel gets its own
/// seeded line noise. Throws std::runtime_error naming the turn, utterance and
/// problem (unknown file, no match for a selector, impossible timing, clipping).
/// The catalog must outlive the result (the truth points into it).
/// A turn with cut_after_s stops there mid-utterance. `cache` (optional) keeps
/// prepared utterances across calls.
ComposedCall compose_call(const CallScript& script, const EmodbCatalog& catalog, UtteranceCache* cache = nullptr);

/// Names written into the truth JSON alongside the timeline.
struct TruthFileInfo {
  std::string script;    ///< script file name, as recorded (no machine paths)
  std::string audio;     ///< audio file name
  std::string encoding;  ///< "ulaw", ...
};

/// The truth as JSON text (schema: tools/compose_call.cpp, examples/README.md).
std::string truth_to_json(const ComposedCall& call, const TruthFileInfo& info);

}  // namespace tw::tools
