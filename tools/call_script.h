#pragma once
// The JSON script of a test call: who says which EmoDB utterances, when, how loud.
// The schema is documented at the top of tools/compose_call.cpp and in examples/README.md.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "features/speaker_role.h"

namespace tw::tools {

/// An utterance as the script names it: an EmoDB file, or a selector that picks one.
struct UtteranceSpec {
  std::string file;        ///< "03a01Wa.wav"; empty for a selector
  std::string speaker;     ///< selector: two-digit speaker id, "03"
  char emotion_code = 0;   ///< selector: EmoDB emotion letter, 'W'
  std::string text_code;   ///< selector: optional sentence code, "a01"; empty = any
  /// Only the first this many syllables (from the silb onsets): a short token such
  /// as a backchannel. 0 = the whole utterance.
  int syllables = 0;
  bool is_selector() const noexcept { return file.empty(); }
};

/// One speaker's turn: utterances back to back, separated by pause_s.
struct TurnSpec {
  features::SpeakerRole role = features::SpeakerRole::caller;
  std::vector<UtteranceSpec> utterances;
  /// From the end of the speech so far (the latest-ending turn, or the end of a
  /// silence entry) to the first syllable of this turn. Negative: this turn
  /// interrupts the one still talking.
  double gap_s = 0.5;
  double pause_s = 0.35;  ///< between the speech of consecutive utterances in the turn
  double gain_db = 0.0;   ///< on top of the normalized speech level (raised voice, quiet voice)
  /// Time-scaled by this factor with the pitch kept (sox tempo, WSOLA): 1.4 speaks
  /// 40 % faster. Needs sox at composition time.
  double tempo = 1.0;
  /// The speaker stops this long after the turn's first syllable (mid-word, as
  /// someone giving way); 0 = never.
  double cut_after_s = 0.0;
  /// Monotone delivery: the speech resynthesized (LPC) with its pitch held at the
  /// utterance's median F0 and its loudness contour compressed 3:1 around its median.
  bool monotone = false;
  std::string label;      ///< free text, copied to the truth
  std::string stage;      ///< free text (calm, escalating, venting, disarming, ...), copied to the truth
};

/// Dead air: neither side speaks for duration_s (the next turn's gap_s comes on top).
struct SilenceSpec {
  double duration_s = 0.0;
  std::string label;
};

using ScriptEntry = std::variant<TurnSpec, SilenceSpec>;

/// A whole script. Defaults are those of a missing key.
struct CallScript {
  std::string emodb_dir = "../shared/data/emodb";  ///< relative paths: from the repository root
  int sample_rate_hz = 8000;
  double noise_floor_dbfs = -60.0;   ///< RMS of each channel's line noise, dB re full-scale sine
  double speech_level_dbfs = -26.0;  ///< P.56 active level of every utterance before gain_db
  std::uint64_t seed = 1;            ///< line noise
  double tail_s = 1.0;               ///< after the last speech ends
  /// The line's band applied to every utterance: "telephone" (4th-order Butterworth
  /// 300-3400 Hz), "steep" (a 401-tap FIR, 80 dB stop band, 100 Hz transitions, as
  /// sox's sinc) or "none" (whatever the recording holds up to the call's Nyquist).
  std::string band = "telephone";
  std::string description;           ///< free text
  std::vector<ScriptEntry> entries;  ///< the "turns" array, in order
};

/// Parses and validates a script. Throws std::runtime_error whose message starts
/// with `source_name` and the JSON path of the problem, e.g.
/// "call.json: turns[3].gain_db: expected a number, got \"loud\"".
CallScript parse_call_script(const std::string& json_text, const std::string& source_name);

/// Reads and parses a script file; errors name the file.
CallScript load_call_script(const std::string& path);

}  // namespace tw::tools
