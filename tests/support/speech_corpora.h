#pragma once
// Labelled speech corpora in ../shared/data with syllable truth, and the
// statistics used to score estimates against it. For tests tagged [data].

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tw::test {

/// One labelled utterance with its syllable truth.
struct Utterance {
  std::string corpus;     ///< "timit" or "emodb"
  std::string speaker;    ///< TIMIT speaker folder ("dr1-fvmh0") or EmoDB speaker ("03")
  std::string name;       ///< unique: "dr1-fvmh0/sa1", "03a01Fa"
  std::string wav_path;   ///< absolute path of the 16 kHz recording
  int syllables = 0;      ///< true syllable count
  double speech_start_s = 0.0;  ///< first labelled speech
  double speech_end_s = 0.0;    ///< end of the last labelled speech
  /// Speech time: speech_end_s - speech_start_s minus labelled pauses inside
  /// (TIMIT `pau` and `h#`; EmoDB labels no pauses).
  double speech_s = 0.0;
  /// Articulation rate: syllables / speech_s.
  double rate_syl_per_s() const { return speech_s > 0.0 ? syllables / speech_s : 0.0; }
};

/// The 80 TIMIT sample sentences (8 speakers x 10). True syllables: one per
/// vowel phone in the .phn labels (iy ih eh ey ae aa aw ay ah ao oy ow uh uw
/// ux er ax ix axr ax-h). Sorted by name. Fails the test if the data is missing.
std::vector<Utterance> timit_utterances();

/// The EmoDB recordings with syllable labels: 338 of the 339 (10 speakers;
/// 13a01Wb has an empty .silb file). True syllables: the lines of the .silb
/// file before its final `.` line, which marks the end of speech; speech starts
/// at the first syllable onset. Sorted by name. Fails the test if missing.
std::vector<Utterance> emodb_utterances();

/// A deterministic subset of min(count, all.size()) utterances spanning every
/// speaker: shares are dealt round-robin over the speakers (a speaker with too
/// few utterances leaves the rest of its share to the others), and each share is
/// taken at evenly spaced positions of that speaker's name-sorted list, so texts
/// and emotions are spread too.
std::vector<Utterance> spread_subset(const std::vector<Utterance>& all, std::size_t count);

/// Pearson correlation of two equally long series; 0 when either is constant.
double pearson(std::span<const double> x, std::span<const double> y);

/// Share of sample-to-sample steps larger than full scale (|x[n] - x[n-1]| > 1
/// on the -1..1 scale), read at the file's own rate. Speech hardly ever does
/// this: the strongest EmoDB fricatives reach 0.23 %. Integer wrap-around and
/// full-scale noise bursts do: 22 of the 80 TIMIT sample files reach 0.8-15 %.
double full_scale_step_fraction(std::span<const float> samples);

/// Above this full_scale_step_fraction a recording is damaged: stretches of it
/// are full-scale noise instead of speech, so its labels no longer describe it.
inline constexpr double kDamagedStepFraction = 0.005;

/// full_scale_step_fraction(samples) > kDamagedStepFraction.
bool looks_damaged(std::span<const float> samples);

/// Mean of |x - y|.
double mean_absolute_error(std::span<const double> x, std::span<const double> y);

}  // namespace tw::test
