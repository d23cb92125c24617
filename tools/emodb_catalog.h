#pragma once
// The Berlin Database of Emotional Speech (EmoDB) as a catalog: labels.csv for
// speaker, sex and emotion, silb/ for where the speech starts and ends.

#include <optional>
#include <string>
#include <vector>

namespace tw::tools {

/// One EmoDB recording and its labels.
struct EmodbUtterance {
  std::string file;           ///< "03a01Wa.wav"
  std::string speaker;        ///< "03"
  std::string sex;            ///< "m" or "f"
  int age_years = 0;
  std::string text_code;      ///< "a01": which of the ten sentences
  char emotion_code = '?';    ///< W anger, N neutral, F happiness, T sadness, L boredom, E disgust, A fear
  std::string emotion;        ///< "anger", ...
  std::string arousal_group;  ///< "high", "mid" or "low"
  std::string version;        ///< "a", "b", ...: takes of the same sentence and emotion
  double recognition_pct = 0.0;  ///< listeners who recognised the intended emotion
  bool has_audio = false;        ///< a recording is present in wav/
  double duration_s = 0.0;       ///< of the 16 kHz original
  /// First syllable onset and end of speech in the original file (from silb/);
  /// unset when the silb file is missing or empty.
  std::optional<double> speech_start_s;
  std::optional<double> speech_end_s;
  int syllables = 0;  ///< syllable onsets listed in silb/ (0 when unknown)
  std::vector<double> syllable_onsets_s;  ///< their times in the original file
};

/// All utterances of an EmoDB folder (labels.csv, wav/, silb/). Immutable after construction.
class EmodbCatalog {
 public:
  /// Reads `dir`/labels.csv and the silb/ files. Throws std::runtime_error naming
  /// the folder or file and what is wrong.
  explicit EmodbCatalog(std::string dir);

  const std::string& dir() const noexcept { return dir_; }
  const std::vector<EmodbUtterance>& utterances() const noexcept { return utterances_; }
  /// The entry for a file name ("03a01Wa.wav"), or nullptr.
  const EmodbUtterance* find(const std::string& file) const noexcept;
  /// Path of the recording: dir/wav/file, or the path itself for a recording
  /// added with add_recording.
  std::string audio_path(const EmodbUtterance& utterance) const;

  /// Registers a recording from outside EmoDB (e.g. a calm IVR voice) under its
  /// path, so scripts can name it as a file. Its emotion is unknown ('?', arousal
  /// "unknown"). Call before composing: it may move the entries. Throws
  /// std::runtime_error if the file does not exist.
  const EmodbUtterance& add_recording(const std::string& path, const std::string& speaker_label);
  /// Utterances with audio of `speaker` and `emotion_code`, and of `text_code`
  /// unless it is empty: best recognised first, then by file name.
  std::vector<const EmodbUtterance*> select(const std::string& speaker, char emotion_code,
                                            const std::string& text_code) const;

 private:
  std::string dir_;
  std::vector<EmodbUtterance> utterances_;
};

/// English name of an EmoDB emotion letter ("anger" for 'W'), or nullptr if unknown.
const char* emodb_emotion_name(char emotion_code) noexcept;

}  // namespace tw::tools
