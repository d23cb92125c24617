#pragma once
// EmoDB as training and evaluation data for the agitation (arousal) model: the
// same window summaries, prosody vectors, speaker baselines and model scoring
// the runtime uses, a logistic-regression trainer and a leave-one-speaker-out
// evaluation. Shared by tools/train_agitation_model, tools/evaluate_agitation_model
// and the [data][model] tests.
//
// Protocol (models/README.md says the same for users of the model):
//  - Each utterance runs alone through features::FeatureExtractor and a default
//    features::WindowSummarizer (3 s window, 1 s period), followed by 3 s of
//    digital silence so every window that holds part of it is emitted. Its item
//    is the summary holding the most voice-active time (the earliest on a tie):
//    the whole utterance when it is 3 s or shorter, its busiest 3 s otherwise.
//  - A speaker's baseline is their first calm speech, as at the start of a call:
//    the `baseline_utterances` neutral recordings with the lowest text codes,
//    played back to back as one stream; every 1 s summary of that stream is
//    offered to a detect::SpeakerBaseline with the runtime's default
//    BaselineConfig. Those utterances are never test items of that speaker.
//  - Deviations of all other utterances from that baseline are the model inputs,
//    clipped and with missing features at 0, exactly as AgitationModel::score does.

#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "detect/agitation_model.h"
#include "detect/prosody_vector.h"
#include "detect/speaker_baseline.h"
#include "features/window_summary.h"

namespace tw::training {

// ---------------------------------------------------------------- data

/// How the audio reaches the analysis.
enum class Condition {
  original,   ///< the 16 kHz recording resampled to 8 kHz (io::load_channel)
  telephone,  ///< sox: 300-3400 Hz band-pass (sinc), 8 kHz, G.711 mu-law, then decoded
};
inline constexpr std::array<Condition, 2> kAllConditions = {Condition::original, Condition::telephone};
std::string_view to_string(Condition condition) noexcept;

/// One EmoDB recording (labels.csv row with a 16 kHz original in wav/).
struct EmodbRecording {
  std::string file;       ///< "03a01Wa.wav"
  std::string path;       ///< absolute or as given: <emodb>/wav/<file>
  std::string speaker;    ///< "03"
  std::string sex;        ///< "m" / "f"
  std::string text_code;  ///< "a01"
  char emotion = '?';     ///< W anger, N neutral, F happiness, T sadness, ...
};

/// Reads <emodb_dir>/labels.csv and keeps rows whose wav/<file> exists, sorted by
/// file name. Throws std::runtime_error naming the folder or file when EmoDB is
/// missing or labels.csv lacks a column.
std::vector<EmodbRecording> read_emodb(const std::string& emodb_dir);

/// Every window summary of a mono stream at dsp::kAnalysisRateHz followed by
/// window_hops of digital silence, through a fresh FeatureExtractor and
/// WindowSummarizer (default configs unless given).
std::vector<features::WindowSummary> stream_summaries(std::span<const float> audio_8k,
                                                      const features::SummaryConfig& config = {});

/// The summary of a lone utterance: the one holding the most voice-active time,
/// the earliest on a tie.
features::WindowSummary utterance_summary(std::span<const float> audio_8k);

/// A temporary directory removed (with its contents) on destruction.
class TempDir {
 public:
  /// Creates a fresh directory under the system temp dir. Throws std::runtime_error.
  explicit TempDir(const std::string& prefix = "tonewatch-agitation-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// Audio of a recording in a condition at 8 kHz. The telephone condition runs
/// `sox -V1 -R -D <in> -r 8000 -e mu-law <scratch>/<name>.au sinc 300-3400` and decodes the
/// result; throws std::runtime_error quoting sox's message if it fails or is missing.
std::vector<float> load_condition(const EmodbRecording& recording, Condition condition,
                                  const std::string& scratch_dir);

struct DatasetOptions {
  /// Neutral recordings per speaker (lowest text codes) that form the baseline.
  std::size_t baseline_utterances = 3;
  std::vector<Condition> conditions{kAllConditions.begin(), kAllConditions.end()};
  /// Emotion codes to keep; neutral is always kept (baseline and priors need it).
  std::string emotions = "WNFT";
  /// Worker threads (0: hardware concurrency).
  unsigned threads = 0;
};

/// One recording's window in one condition.
struct Item {
  std::size_t recording = 0;  ///< index into Dataset::recordings
  Condition condition = Condition::original;
  detect::ProsodyVector window;
};

/// One speaker's call-start stream in one condition: the summaries offered to the baseline.
struct BaselineStream {
  std::string speaker;
  Condition condition = Condition::original;
  std::vector<std::size_t> recordings;  ///< played back to back, in this order
  std::vector<detect::ProsodyVector> windows;
};

struct Dataset {
  std::string emodb_dir;
  DatasetOptions options;
  std::vector<EmodbRecording> recordings;
  std::vector<std::string> speakers;       ///< sorted
  std::vector<bool> baseline_recording;    ///< per recording: part of its speaker's baseline, never a test item
  std::vector<Item> items;                 ///< every recording in every condition
  std::vector<BaselineStream> baselines;   ///< per speaker and condition
  double seconds = 0.0;                    ///< wall time spent building
};

/// Computes every item and baseline stream. Throws std::runtime_error when
/// EmoDB is missing, a speaker has too few neutral recordings, or sox fails.
/// `progress(done, total)` is called from worker threads (serialized) if set.
Dataset build_dataset(const std::string& emodb_dir, const DatasetOptions& options = {},
                      const std::function<void(std::size_t, std::size_t)>& progress = {});

// ---------------------------------------------------------------- baseline and priors

/// The runtime's baseline configuration (the defaults, as AgitationTracker gets them).
detect::BaselineConfig runtime_baseline_config() noexcept;

/// Population prior from the neutral items of `speakers` (all conditions):
/// median = median of all their neutral windows; scale = 1.4826 x the median
/// absolute deviation of each window from its own speaker's (and condition's)
/// neutral median, pooled: the typical within-speaker spread of calm speech.
/// Scales are floored at kMinScale so no feature divides by ~0.
detect::BaselinePrior estimate_prior(const Dataset& data, const std::vector<std::string>& speakers);
inline constexpr float kMinScale = 1e-3f;

/// Learns a speaker's baseline from their stream. Without a gate every window
/// is offered as calm; with a gate (a model) each window is first scored against
/// the baseline so far and offered as agitated when it reaches the model's
/// decision threshold, exactly as AgitationTracker does. `gated` counts the
/// windows the baseline refused for that reason.
detect::SpeakerBaseline learn_baseline(const BaselineStream& stream, const detect::BaselinePrior& prior,
                                       const detect::AgitationModel* gate = nullptr,
                                       std::size_t* gated = nullptr);

// ---------------------------------------------------------------- contrasts and examples

enum class Contrast {
  anger_neutral,  ///< W = 1, N = 0
  arousal,        ///< high (W, F) = 1, low (N, T) = 0
};
std::string_view to_string(Contrast contrast) noexcept;
/// Parses "anger-neutral" or "arousal"; throws std::invalid_argument otherwise.
Contrast parse_contrast(std::string_view text);
/// 1 positive, 0 negative, -1 outside the contrast.
int contrast_label(Contrast contrast, char emotion) noexcept;

/// A test item as the model sees it: its deviation from its speaker's baseline.
struct Example {
  std::size_t recording = 0;
  Condition condition = Condition::original;
  detect::ProsodyVector deviation;  ///< raw, NaN where missing
  /// The model input: deviation clipped to +-AgitationModel::kDeviationClip, NaN -> 0.
  std::array<double, detect::kProsodyCount> input{};
};

/// Examples of every non-baseline item of `speakers`, each against its speaker's
/// baseline in the same condition (learned with `gate` if given).
std::vector<Example> make_examples(const Dataset& data, const std::vector<std::string>& speakers,
                                   const detect::BaselinePrior& prior, const detect::AgitationModel* gate = nullptr,
                                   std::size_t* gated = nullptr);

// ---------------------------------------------------------------- training

/// L2-regularized logistic regression by Newton's method (IRLS), on features
/// standardized with the (weighted) training mean and deviation; the returned
/// weights are mapped back to the unstandardized inputs. Minimizes
/// sum_i w_i * logloss_i / sum_i w_i + (l2 / 2) * |beta_standardized|^2 (bias free).
struct LogisticFit {
  Eigen::VectorXd weights;  ///< on the raw input scale
  double bias = 0.0;
  int iterations = 0;
  bool converged = false;
};
LogisticFit fit_logistic(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& sample_weight,
                         double l2);

struct TrainerOptions {
  Contrast contrast = Contrast::anger_neutral;
  /// Penalty on standardized weights (relative to the mean sample loss). The
  /// classes are nearly separable, so without it weights and probabilities run
  /// to extremes; 0.1 leaves calm speech at its baseline near 0.1-0.2.
  double l2 = 0.1;
  /// Decision threshold written to the model: with classes weighted equally
  /// 0.5 is the balanced operating point.
  double decision_threshold = 0.5;
  /// Features left out of the fit (weight 0). EmoDB peak-normalizes every
  /// recording to 0 dBFS, so its absolute level says nothing about effort (anger
  /// even measures ~2 dB quieter than neutral speech): a weight learned from it
  /// would call a louder caller calmer. Level stays in the vector for evidence.
  std::vector<std::string> excluded_features{"loudness_db"};
  /// Direction each feature may take (+1 rises with arousal, 0 free), from the
  /// arousal literature (Banse & Scherer 1996; Juslin & Laukka 2003; eGeMAPS,
  /// Eyben et al. 2016): higher and wider pitch, louder and more dynamic, more
  /// high-frequency energy, faster speech. HNR and voiced fraction have no agreed
  /// direction. A feature whose fitted weight opposes its direction is an artifact
  /// of this corpus or of the measurement, not a cue to trust in a call: it is
  /// dropped (weight 0) and the fit repeated, the worst offender first.
  std::array<int, detect::kProsodyCount> direction{+1, +1, +1, +1, +1, 0, +1, 0};
  bool constrain_directions = true;
};

/// A trained model: everything the model file holds.
struct TrainedModel {
  detect::BaselinePrior prior;
  std::array<double, detect::kProsodyCount> weights{};
  double bias = 0.0;
  double decision_threshold = 0.5;
  TrainerOptions options;
  std::vector<std::string> speakers;  ///< trained on
  std::size_t positives = 0, negatives = 0;
  int iterations = 0;
  /// Features dropped because their fitted weight opposed their direction.
  std::vector<std::string> dropped_for_direction;
};

/// Priors from `speakers`, their baselines (ungated: their baseline speech is
/// known to be calm), examples of both conditions pooled, classes weighted
/// equally, then fit_logistic.
TrainedModel train_model(const Dataset& data, const std::vector<std::string>& speakers, const TrainerOptions& options);

/// The model file's JSON (format, version, features, prior, logistic,
/// decision_threshold, training) without provenance and evaluation.
nlohmann::json model_json(const TrainedModel& model, const std::string& version);

/// The runtime model, through AgitationModel::from_json (the same parser the product uses).
detect::AgitationModel runtime_model(const TrainedModel& model);

// ---------------------------------------------------------------- evaluation

/// Area under the ROC curve (Mann-Whitney, ties count half); NaN if a class is empty.
double roc_auc(std::span<const double> positive_scores, std::span<const double> negative_scores);

struct ScoredItem {
  std::size_t recording = 0;
  Condition condition = Condition::original;
  double probability = 0.0;
  detect::ProsodyVector deviation;  ///< from the held-out speaker's baseline
};

struct Figures {
  double auc = 0.0;
  double balanced_accuracy = 0.0;  ///< at the model's decision threshold
  std::size_t positives = 0, negatives = 0;
};

struct LosoResult {
  TrainerOptions options;
  std::vector<ScoredItem> scores;           ///< every held-out test item, scored by its fold's model
  std::vector<double> thresholds;           ///< per speaker (fold), the model's decision threshold
  std::vector<std::vector<std::string>> dropped_for_direction;  ///< per speaker (fold)
  std::size_t baseline_windows = 0;         ///< offered to held-out baselines
  std::size_t baseline_windows_gated = 0;   ///< ... that the fold model called agitated
  /// Per speaker (Dataset::speakers order), both conditions: offered and refused baseline windows.
  std::vector<std::size_t> speaker_baseline_windows, speaker_baseline_windows_gated;
  /// Every held-out test item scored at the start of a call, before anything of
  /// the speaker is learned: against the prior of the register the item itself
  /// shows (SpeakerBaseline::observe_register), or the population's if it cannot.
  std::vector<ScoredItem> cold_scores;
  std::size_t cold_without_register = 0;  ///< ... of them scored against the population prior
  double seconds = 0.0;
};

/// Cold-start figures for a contrast and condition: AUC, and how many negatives
/// and positives reach the decision threshold against the register prior alone.
struct ColdStartFigures {
  double auc = 0.0;
  std::size_t positives = 0, positives_flagged = 0;
  std::size_t negatives = 0, negatives_flagged = 0;
};
ColdStartFigures cold_start_figures(const Dataset& data, const LosoResult& result, Contrast contrast,
                                    Condition condition);

/// Leave-one-speaker-out: for each speaker, train_model on the others (priors
/// from them only), learn the held-out speaker's baseline with the fold model as
/// the gate (as at run time), and score their test items with AgitationModel::score.
LosoResult evaluate_loso(const Dataset& data, const TrainerOptions& options);

/// Pooled figures over all held-out speakers for a contrast and condition;
/// `speaker` non-empty restricts to that speaker.
Figures loso_figures(const Dataset& data, const LosoResult& result, Contrast contrast, Condition condition,
                     const std::string& speaker = "");

/// AUC of each feature's held-out deviation alone (missing counted as 0) for a
/// contrast and condition: above 0.5 the feature rises with the positive class.
std::array<double, detect::kProsodyCount> feature_aucs(const Dataset& data, const LosoResult& result, Contrast contrast,
                                                       Condition condition);

/// The evaluation as a printable table (pooled and per-speaker AUCs).
std::string loso_table(const Dataset& data, const LosoResult& result);

/// The evaluation as JSON, for the model file's "evaluation" block.
nlohmann::json loso_json(const Dataset& data, const LosoResult& result);

}  // namespace tw::training
