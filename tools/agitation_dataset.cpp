#include "agitation_dataset.h"

#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "detect/agitation_tracker.h"
#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "io/resampling_source.h"
#include "tools/run_program.h"


namespace tw::training {
namespace fs = std::filesystem;

std::string_view to_string(Condition condition) noexcept {
  return condition == Condition::original ? "original" : "telephone";
}

std::string_view to_string(Contrast contrast) noexcept {
  return contrast == Contrast::anger_neutral ? "anger-neutral" : "arousal";
}

Contrast parse_contrast(std::string_view text) {
  if (text == "anger-neutral") return Contrast::anger_neutral;
  if (text == "arousal") return Contrast::arousal;
  throw std::invalid_argument("unknown contrast '" + std::string(text) + "' (use anger-neutral or arousal)");
}

int contrast_label(Contrast contrast, char emotion) noexcept {
  if (contrast == Contrast::anger_neutral) {
    return emotion == 'W' ? 1 : (emotion == 'N' ? 0 : -1);
  }
  // Arousal groups as commonly used with EmoDB: anger and happiness high, neutral and sadness low.
  if (emotion == 'W' || emotion == 'F') return 1;
  if (emotion == 'N' || emotion == 'T') return 0;
  return -1;
}

// ---------------------------------------------------------------- data

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  for (auto& f : fields) {
    if (!f.empty() && f.back() == '\r') f.pop_back();
  }
  return fields;
}

}  // namespace

std::vector<EmodbRecording> read_emodb(const std::string& emodb_dir) {
  const fs::path dir(emodb_dir);
  if (!fs::is_directory(dir)) {
    throw std::runtime_error("EmoDB folder " + emodb_dir +
                             " does not exist (expected labels.csv and wav/ inside; pass --emodb)");
  }
  const fs::path labels = dir / "labels.csv";
  std::ifstream in(labels);
  if (!in) throw std::runtime_error("cannot read " + labels.string() + " (is " + emodb_dir + " the EmoDB folder?)");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(labels.string() + " is empty");
  const std::vector<std::string> header = split_csv_line(line);
  auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw std::runtime_error(labels.string() + " has no column '" + name + "'");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t c_file = column("file"), c_speaker = column("speaker"), c_sex = column("sex"),
                    c_text = column("text_code"), c_emotion = column("emotion_code");
  std::vector<EmodbRecording> out;
  std::size_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() < header.size()) {
      throw std::runtime_error(labels.string() + ":" + std::to_string(line_number) + ": expected " +
                               std::to_string(header.size()) + " fields");
    }
    const fs::path wav = dir / "wav" / f[c_file];
    if (!fs::is_regular_file(wav)) continue;  // labels.csv also lists recordings without a 16 kHz original
    EmodbRecording r;
    r.file = f[c_file];
    r.path = wav.string();
    r.speaker = f[c_speaker];
    r.sex = f[c_sex];
    r.text_code = f[c_text];
    r.emotion = f[c_emotion].empty() ? '?' : f[c_emotion][0];
    out.push_back(std::move(r));
  }
  if (out.empty()) throw std::runtime_error("no recordings of " + labels.string() + " found in " + (dir / "wav").string());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  return out;
}

std::vector<features::WindowSummary> stream_summaries(std::span<const float> audio_8k,
                                                      const features::SummaryConfig& config) {
  features::FeatureExtractor extractor;
  features::WindowSummarizer summarizer(config);
  std::vector<features::WindowSummary> out;
  auto on_hop = [&](const features::HopFeatures& hop) {
    if (summarizer.push(hop)) out.push_back(summarizer.summary());
  };
  extractor.process(audio_8k, on_hop);
  // A window's worth of digital silence: every window that holds any of the
  // audio is emitted (the framer's look-ahead is far shorter than a window).
  const std::vector<float> silence(config.window_hops * dsp::kHopSize10ms8kHz, 0.0f);
  extractor.process(silence, on_hop);
  extractor.flush(on_hop);
  return out;
}

features::WindowSummary utterance_summary(std::span<const float> audio_8k) {
  const std::vector<features::WindowSummary> all = stream_summaries(audio_8k);
  if (all.empty()) return {};
  // max_element returns the first of equal maxima: the earliest window on a tie.
  return *std::max_element(all.begin(), all.end(),
                           [](const auto& a, const auto& b) { return a.speech_s < b.speech_s; });
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory " + pattern);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::vector<float> load_condition(const EmodbRecording& recording, Condition condition,
                                  const std::string& scratch_dir) {
  if (condition == Condition::original) return io::load_channel(recording.path, dsp::kAnalysisRateHz);
  // Telephone: ITU-T G.712 voice band (300-3400 Hz), 8 kHz, G.711 mu-law; sox
  // resamples after the band-pass. Clipping is left as a real line would clip;
  // no dither (-D: a G.711 encoder just quantizes) and repeatable (-R), so the
  // features and the trained model are the same on every run.
  // The mu-law samples go into a Sun .au container rather than WAV: a WAV data
  // chunk of odd length (one byte per sample) makes libsndfile log a warning
  // that io::AudioFileSource reads as truncation.
  const std::string out = (fs::path(scratch_dir) / fs::path(recording.file).replace_extension(".au")).string();
  const std::string err = out + ".stderr";
  const std::vector<std::string> argv = {"sox", "-V1", "-R", "-D", recording.path, "-r", "8000", "-e", "mu-law",
                                         out,   "sinc", "300-3400"};
  const int status = tools::run_program(argv, err);
  std::string message;
  {
    std::ifstream e(err);
    std::getline(e, message, '\0');
  }
  std::error_code ignored;
  fs::remove(err, ignored);
  if (status == -1 || status == 127) {
    throw std::runtime_error("cannot run sox for the telephone condition: install it (apt-get install sox)");
  }
  if (status != 0) {
    throw std::runtime_error("sox failed on " + recording.path + " (exit " + std::to_string(status) + "): " + message);
  }
  std::vector<float> audio = io::load_channel(out, dsp::kAnalysisRateHz);
  fs::remove(out, ignored);
  return audio;
}

namespace {

// Runs job(i) for i in [0, n) on `threads` workers; rethrows the first failure.
template <class Job>
void parallel_for(std::size_t n, unsigned threads, Job&& job) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < n && !failed; i = next++) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  };
  const unsigned count = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(n, 1))));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

Dataset build_dataset(const std::string& emodb_dir, const DatasetOptions& options,
                      const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (options.conditions.empty()) throw std::invalid_argument("DatasetOptions: no condition");
  if (options.baseline_utterances == 0) throw std::invalid_argument("DatasetOptions: baseline_utterances must be > 0");
  Dataset data;
  data.emodb_dir = emodb_dir;
  data.options = options;
  for (auto& r : read_emodb(emodb_dir)) {
    if (r.emotion == 'N' || options.emotions.find(r.emotion) != std::string::npos) data.recordings.push_back(std::move(r));
  }
  const std::size_t n = data.recordings.size();
  for (const auto& r : data.recordings) {
    if (std::find(data.speakers.begin(), data.speakers.end(), r.speaker) == data.speakers.end()) {
      data.speakers.push_back(r.speaker);
    }
  }
  std::sort(data.speakers.begin(), data.speakers.end());

  // Each speaker's baseline: their neutral recordings with the lowest text codes.
  data.baseline_recording.assign(n, false);
  std::map<std::string, std::vector<std::size_t>> baseline_of;
  for (const auto& speaker : data.speakers) {
    std::vector<std::size_t> neutral;
    for (std::size_t i = 0; i < n; ++i) {
      if (data.recordings[i].speaker == speaker && data.recordings[i].emotion == 'N') neutral.push_back(i);
    }
    if (neutral.size() < options.baseline_utterances) {
      throw std::runtime_error("speaker " + speaker + " has " + std::to_string(neutral.size()) +
                               " neutral recordings, fewer than the " + std::to_string(options.baseline_utterances) +
                               " the baseline needs");
    }
    std::sort(neutral.begin(), neutral.end(), [&](std::size_t a, std::size_t b) {
      const auto& ra = data.recordings[a];
      const auto& rb = data.recordings[b];
      return std::tie(ra.text_code, ra.file) < std::tie(rb.text_code, rb.file);
    });
    neutral.resize(options.baseline_utterances);
    for (std::size_t i : neutral) data.baseline_recording[i] = true;
    baseline_of[speaker] = neutral;
  }

  const unsigned threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const TempDir scratch;
  const std::size_t conditions = options.conditions.size();
  std::vector<Item> items(n * conditions);
  // Audio of baseline recordings, kept for the call-start streams.
  std::vector<std::vector<float>> baseline_audio(n * conditions);
  std::mutex progress_mutex;
  std::size_t done = 0;
  const std::size_t total = n + data.speakers.size() * conditions;
  auto report = [&] {
    if (!progress) return;
    std::lock_guard lock(progress_mutex);
    progress(++done, total);
  };

  parallel_for(n, threads, [&](std::size_t i) {
    for (std::size_t c = 0; c < conditions; ++c) {
      std::vector<float> audio = load_condition(data.recordings[i], options.conditions[c], scratch.path());
      Item& item = items[i * conditions + c];
      item.recording = i;
      item.condition = options.conditions[c];
      item.window = detect::prosody_from_window(utterance_summary(audio));
      if (data.baseline_recording[i]) baseline_audio[i * conditions + c] = std::move(audio);
    }
    report();
  });

  // The call-start streams: baseline recordings back to back, every summary kept.
  data.baselines.resize(data.speakers.size() * conditions);
  parallel_for(data.baselines.size(), threads, [&](std::size_t j) {
    const std::string& speaker = data.speakers[j / conditions];
    const std::size_t c = j % conditions;
    BaselineStream& stream = data.baselines[j];
    stream.speaker = speaker;
    stream.condition = options.conditions[c];
    stream.recordings = baseline_of.at(speaker);
    std::vector<float> audio;
    for (std::size_t i : stream.recordings) {
      const auto& part = baseline_audio[i * conditions + c];
      audio.insert(audio.end(), part.begin(), part.end());
    }
    for (const auto& summary : stream_summaries(audio)) stream.windows.push_back(detect::prosody_from_window(summary));
    report();
  });

  data.items = std::move(items);
  data.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return data;
}

// ---------------------------------------------------------------- baseline and priors

detect::BaselineConfig runtime_baseline_config() noexcept { return detect::BaselineConfig{}; }

namespace {

float median_of(std::vector<float> values) {
  if (values.empty()) return std::numeric_limits<float>::quiet_NaN();
  return features::quantile_in_place(values.data(), values.size(), 0.5f);
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

namespace {

// The calm (neutral) windows of one speaker in one condition, feature by feature.
std::vector<float> neutral_values(const Dataset& data, const std::string& speaker, Condition condition, std::size_t f) {
  std::vector<float> own;
  for (const auto& item : data.items) {
    const auto& r = data.recordings[item.recording];
    if (r.speaker != speaker || r.emotion != 'N' || item.condition != condition) continue;
    const float x = item.window.values[f];
    if (std::isfinite(x)) own.push_back(x);
  }
  return own;
}

// Median and between-speaker spread of a group's calm speech for one feature: the
// median of all their neutral windows, and 1.4826 x the median absolute deviation
// of each speaker's (and condition's) own neutral median from it.
std::pair<float, float> group_centre(const Dataset& data, const std::vector<std::string>& speakers, std::size_t f) {
  std::vector<float> pooled, centres;
  for (const auto& speaker : speakers) {
    for (Condition condition : data.options.conditions) {
      std::vector<float> own = neutral_values(data, speaker, condition, f);
      if (own.empty()) continue;
      pooled.insert(pooled.end(), own.begin(), own.end());
      centres.push_back(median_of(own));
    }
  }
  if (pooled.empty()) return {std::numeric_limits<float>::quiet_NaN(), 0.0f};
  const float centre = median_of(pooled);
  std::vector<float> distance;
  for (float c : centres) distance.push_back(std::fabs(c - centre));
  return {centre, 1.4826f * median_of(distance)};
}

}  // namespace

detect::BaselinePrior estimate_prior(const Dataset& data, const std::vector<std::string>& speakers) {
  detect::BaselinePrior prior;
  std::vector<std::string> low, high;
  for (const auto& speaker : speakers) {
    for (const auto& r : data.recordings) {
      if (r.speaker != speaker) continue;
      (r.sex == "m" ? low : high).push_back(speaker);
      break;
    }
  }
  for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
    std::vector<float> pooled;
    std::vector<float> spread;
    for (const auto& speaker : speakers) {
      for (Condition condition : data.options.conditions) {
        std::vector<float> own = neutral_values(data, speaker, condition, f);
        if (own.empty()) continue;
        const float centre = median_of(own);
        for (float x : own) {
          pooled.push_back(x);
          spread.push_back(std::fabs(x - centre));
        }
      }
    }
    if (pooled.empty()) {
      throw std::runtime_error("no neutral window of the training speakers measures " +
                               std::string(detect::kProsodyNames[f]));
    }
    prior.median[f] = median_of(pooled);
    // 1.4826 x MAD estimates a standard deviation for normal data (Rousseeuw & Croux 1993).
    prior.scale[f] = std::max(kMinScale, 1.4826f * median_of(spread));
    prior.spread[f] = group_centre(data, speakers, f).second;
    // Registers: EmoDB's speakers by their labelled sex, the low (adult male) and
    // high (adult female) voices; needs two speakers in each to measure a spread.
    if (low.size() >= 2 && high.size() >= 2) {
      std::tie(prior.low.median[f], prior.low.spread[f]) = group_centre(data, low, f);
      std::tie(prior.high.median[f], prior.high.spread[f]) = group_centre(data, high, f);
    }
  }
  if (low.size() >= 2 && high.size() >= 2) {
    constexpr auto kF0 = static_cast<std::size_t>(detect::Prosody::f0_median_st);
    prior.has_registers = true;
    // Halfway between the registers' calm F0 medians in semitones: the geometric
    // mean of the two in Hz.
    prior.register_boundary_st = 0.5f * (prior.low.median[kF0] + prior.high.median[kF0]);
  }
  return prior;
}

detect::SpeakerBaseline learn_baseline(const BaselineStream& stream, const detect::BaselinePrior& prior,
                                       const detect::AgitationModel* gate, std::size_t* gated) {
  detect::SpeakerBaseline baseline(runtime_baseline_config(), prior);
  for (const auto& window : stream.windows) {
    bool agitated = false;
    // As AgitationTracker: only windows with enough speech are scored, against the
    // speaker's register (read from the window first) or their baseline so far;
    // the score decides whether the window may teach the baseline, at the
    // tracker's bar: the CUSUM's while learning, the model's threshold after.
    if (window.speech_s >= runtime_baseline_config().min_speech_s) {
      baseline.observe_register(window);
      if (gate != nullptr) {
        const float bar = baseline.established() ? gate->decision_threshold()
                                                 : detect::AgitationConfig{}.cusum_reference_unestablished;
        agitated = gate->score(baseline.deviation(window)).probability >= bar;
      }
    }
    if (!baseline.update(window, agitated) && agitated && gated != nullptr) ++*gated;
  }
  return baseline;
}

std::vector<Example> make_examples(const Dataset& data, const std::vector<std::string>& speakers,
                                   const detect::BaselinePrior& prior, const detect::AgitationModel* gate,
                                   std::size_t* gated) {
  std::vector<Example> out;
  for (const auto& stream : data.baselines) {
    if (!contains(speakers, stream.speaker)) continue;
    const detect::SpeakerBaseline baseline = learn_baseline(stream, prior, gate, gated);
    for (const auto& item : data.items) {
      const auto& r = data.recordings[item.recording];
      if (r.speaker != stream.speaker || item.condition != stream.condition || data.baseline_recording[item.recording]) {
        continue;
      }
      Example e;
      e.recording = item.recording;
      e.condition = item.condition;
      e.deviation = baseline.deviation(item.window);
      for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
        const float z = e.deviation.values[f];
        // Exactly what AgitationModel::score feeds its logit.
        e.input[f] = std::isfinite(z) ? std::clamp(z, -detect::AgitationModel::kDeviationClip,
                                                   detect::AgitationModel::kDeviationClip)
                                      : 0.0;
      }
      out.push_back(e);
    }
  }
  return out;
}

// ---------------------------------------------------------------- training

LogisticFit fit_logistic(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& sample_weight,
                         double l2) {
  const Eigen::Index n = x.rows(), d = x.cols();
  if (n == 0 || y.size() != n || sample_weight.size() != n) throw std::invalid_argument("fit_logistic: shapes differ");
  if (!(l2 >= 0.0)) throw std::invalid_argument("fit_logistic: l2 must be >= 0");
  const Eigen::VectorXd s = sample_weight / sample_weight.sum();
  // Standardize so the penalty treats every feature alike and Newton is well conditioned.
  const Eigen::RowVectorXd mean = s.transpose() * x;
  Eigen::RowVectorXd sd(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double v = s.dot((x.col(j).array() - mean(j)).square().matrix());
    sd(j) = v > 1e-18 ? std::sqrt(v) : 1.0;  // a constant column keeps weight 0 under the penalty
  }
  Eigen::MatrixXd z(n, d + 1);
  z.leftCols(d) = (x.rowwise() - mean).array().rowwise() / sd.array();
  z.col(d).setOnes();

  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(d + 1, l2);
  penalty(d) = 0.0;
  auto objective = [&](const Eigen::VectorXd& theta) {
    const Eigen::VectorXd eta = z * theta;
    double loss = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      // log(1 + e^eta) - y eta, computed without overflow.
      const double softplus = eta(i) > 0 ? eta(i) + std::log1p(std::exp(-eta(i))) : std::log1p(std::exp(eta(i)));
      loss += s(i) * (softplus - y(i) * eta(i));
    }
    return loss + 0.5 * theta.cwiseProduct(penalty).dot(theta);
  };

  LogisticFit fit;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(d + 1);
  double current = objective(theta);
  for (fit.iterations = 1; fit.iterations <= 100; ++fit.iterations) {
    const Eigen::VectorXd p = (1.0 + (-(z * theta)).array().exp()).inverse().matrix();
    const Eigen::VectorXd gradient = z.transpose() * s.cwiseProduct(p - y) + penalty.cwiseProduct(theta);
    const Eigen::VectorXd curvature = s.array() * p.array() * (1.0 - p.array());
    Eigen::MatrixXd hessian = z.transpose() * curvature.asDiagonal() * z;
    hessian.diagonal() += penalty + Eigen::VectorXd::Constant(d + 1, 1e-12);
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    // Newton step with backtracking (the objective is convex; halving rarely triggers).
    double t = 1.0;
    Eigen::VectorXd next = theta - step;
    double value = objective(next);
    while (value > current + 1e-15 && t > 1e-6) {
      t *= 0.5;
      next = theta - t * step;
      value = objective(next);
    }
    theta = next;
    const double improvement = current - value;
    current = value;
    if (step.cwiseAbs().maxCoeff() * t < 1e-9 || improvement < 1e-14) {
      fit.converged = true;
      break;
    }
  }
  fit.weights = theta.head(d).cwiseQuotient(sd.transpose());
  fit.bias = theta(d) - fit.weights.dot(mean.transpose());
  return fit;
}

TrainedModel train_model(const Dataset& data, const std::vector<std::string>& speakers, const TrainerOptions& options) {
  if (!(options.decision_threshold > 0.0 && options.decision_threshold < 1.0)) {
    throw std::invalid_argument("decision threshold must be in (0, 1)");
  }
  TrainedModel model;
  model.options = options;
  model.speakers = speakers;
  model.decision_threshold = options.decision_threshold;
  model.prior = estimate_prior(data, speakers);
  const std::vector<Example> all = make_examples(data, speakers, model.prior);
  std::vector<const Example*> used;
  std::vector<double> labels;
  for (const auto& e : all) {
    const int label = contrast_label(options.contrast, data.recordings[e.recording].emotion);
    if (label < 0) continue;
    used.push_back(&e);
    labels.push_back(label);
    (label == 1 ? model.positives : model.negatives)++;
  }
  if (model.positives == 0 || model.negatives == 0) {
    throw std::runtime_error("training data of contrast " + std::string(to_string(options.contrast)) +
                             " lacks a class");
  }
  std::vector<std::size_t> fitted;  // features in the fit
  for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
    if (!contains(options.excluded_features, std::string(detect::kProsodyNames[f]))) fitted.push_back(f);
  }
  for (const auto& name : options.excluded_features) {
    if (std::find(detect::kProsodyNames.begin(), detect::kProsodyNames.end(), name) == detect::kProsodyNames.end()) {
      throw std::invalid_argument("excluded feature '" + name + "' is not a prosody feature");
    }
  }
  if (fitted.empty()) throw std::invalid_argument("every feature is excluded from the fit");
  const auto rows = static_cast<Eigen::Index>(used.size());
  Eigen::VectorXd y(rows), w(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    y(i) = labels[static_cast<std::size_t>(i)];
    // Each class weighs half, so 0.5 is the balanced operating point.
    w(i) = 0.5 / static_cast<double>(y(i) > 0.5 ? model.positives : model.negatives);
  }
  while (true) {
    Eigen::MatrixXd x(rows, static_cast<Eigen::Index>(fitted.size()));
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (std::size_t k = 0; k < fitted.size(); ++k) x(i, static_cast<Eigen::Index>(k)) = used[i]->input[fitted[k]];
    }
    const LogisticFit fit = fit_logistic(x, y, w, options.l2);
    // The feature whose weight most opposes its expected direction, if any.
    std::size_t worst = fitted.size();
    double worst_violation = 0.0;
    for (std::size_t k = 0; options.constrain_directions && k < fitted.size(); ++k) {
      const double violation = -options.direction[fitted[k]] * fit.weights(static_cast<Eigen::Index>(k));
      if (violation > worst_violation) {
        worst_violation = violation;
        worst = k;
      }
    }
    if (worst == fitted.size() || fitted.size() == 1) {
      model.weights.fill(0.0);
      for (std::size_t k = 0; k < fitted.size(); ++k) model.weights[fitted[k]] = fit.weights(static_cast<Eigen::Index>(k));
      model.bias = fit.bias;
      model.iterations = fit.iterations;
      return model;
    }
    model.dropped_for_direction.emplace_back(detect::kProsodyNames[fitted[worst]]);
    fitted.erase(fitted.begin() + static_cast<std::ptrdiff_t>(worst));
  }
}

namespace {

double rounded(double x, double digits = 1e6) { return std::round(x * digits) / digits; }

}  // namespace

nlohmann::json model_json(const TrainedModel& model, const std::string& version) {
  nlohmann::json j;
  j["format"] = "tonewatch-agitation-model";
  j["version"] = version;
  j["features"] = nlohmann::json::array();
  nlohmann::json weights = nlohmann::json::array();
  auto feature_list = [](const std::array<float, detect::kProsodyCount>& values) {
    nlohmann::json list = nlohmann::json::array();
    for (float v : values) list.push_back(rounded(v));
    return list;
  };
  for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
    j["features"].push_back(std::string(detect::kProsodyNames[f]));
    weights.push_back(rounded(model.weights[f]));
  }
  j["prior"] = {{"median", feature_list(model.prior.median)},
                {"scale", feature_list(model.prior.scale)},
                {"spread", feature_list(model.prior.spread)}};
  if (model.prior.has_registers) {
    j["registers"] = {
        {"boundary_f0_median_st", rounded(model.prior.register_boundary_st)},
        {"low", {{"median", feature_list(model.prior.low.median)}, {"spread", feature_list(model.prior.low.spread)}}},
        {"high", {{"median", feature_list(model.prior.high.median)}, {"spread", feature_list(model.prior.high.spread)}}}};
  }
  j["logistic"] = {{"bias", rounded(model.bias)}, {"weights", weights}};
  j["decision_threshold"] = model.decision_threshold;
  const detect::BaselineConfig b = runtime_baseline_config();
  j["training"] = {
      {"contrast", std::string(to_string(model.options.contrast))},
      {"l2", model.options.l2},
      {"excluded_features", model.options.excluded_features},
      {"direction_constraints", model.options.constrain_directions},
      {"dropped_for_direction", model.dropped_for_direction},
      {"speakers", model.speakers},
      {"positives", model.positives},
      {"negatives", model.negatives},
      {"newton_iterations", model.iterations},
      {"baseline_config",
       {{"min_speech_s", b.min_speech_s},
        {"learning_windows", b.learning_windows},
        {"prior_weight_windows", b.prior_weight_windows},
        {"adaptation_scale_per_window", b.adaptation_scale_per_window},
        {"register_min_voiced_s", b.register_min_voiced_s}}},
  };
  return j;
}

detect::AgitationModel runtime_model(const TrainedModel& model) {
  return detect::AgitationModel::from_json(model_json(model, "fold"));
}

// ---------------------------------------------------------------- evaluation

double roc_auc(std::span<const double> positive_scores, std::span<const double> negative_scores) {
  if (positive_scores.empty() || negative_scores.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> negatives(negative_scores.begin(), negative_scores.end());
  std::sort(negatives.begin(), negatives.end());
  double wins = 0.0;
  for (double p : positive_scores) {
    const auto low = std::lower_bound(negatives.begin(), negatives.end(), p);
    const auto high = std::upper_bound(negatives.begin(), negatives.end(), p);
    wins += static_cast<double>(low - negatives.begin()) + 0.5 * static_cast<double>(high - low);
  }
  return wins / (static_cast<double>(positive_scores.size()) * static_cast<double>(negatives.size()));
}

LosoResult evaluate_loso(const Dataset& data, const TrainerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LosoResult result;
  result.options = options;
  for (const auto& held_out : data.speakers) {
    std::vector<std::string> training;
    for (const auto& s : data.speakers) {
      if (s != held_out) training.push_back(s);
    }
    const TrainedModel trained = train_model(data, training, options);
    const detect::AgitationModel model = runtime_model(trained);
    result.thresholds.push_back(model.decision_threshold());
    result.dropped_for_direction.push_back(trained.dropped_for_direction);
    std::size_t offered = 0, gated = 0;
    for (const auto& stream : data.baselines) {
      if (stream.speaker != held_out) continue;
      for (const auto& w : stream.windows) {
        if (w.speech_s >= runtime_baseline_config().min_speech_s) ++offered;
      }
    }
    for (const auto& e : make_examples(data, {held_out}, model.prior(), &model, &gated)) {
      result.scores.push_back({e.recording, e.condition, model.score(e.deviation).probability, e.deviation});
    }
    for (const auto& item : data.items) {
      if (data.recordings[item.recording].speaker != held_out || data.baseline_recording[item.recording]) continue;
      detect::SpeakerBaseline cold(runtime_baseline_config(), model.prior());
      cold.observe_register(item.window);
      if (cold.reference() == detect::BaselineReference::population) ++result.cold_without_register;
      const detect::ProsodyVector deviation = cold.deviation(item.window);
      result.cold_scores.push_back({item.recording, item.condition, model.score(deviation).probability, deviation});
    }
    result.baseline_windows += offered;
    result.baseline_windows_gated += gated;
    result.speaker_baseline_windows.push_back(offered);
    result.speaker_baseline_windows_gated.push_back(gated);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Figures loso_figures(const Dataset& data, const LosoResult& result, Contrast contrast, Condition condition,
                     const std::string& speaker) {
  std::vector<double> positive, negative;
  std::size_t true_positive = 0, true_negative = 0;
  for (const auto& s : result.scores) {
    const auto& r = data.recordings[s.recording];
    if (s.condition != condition || (!speaker.empty() && r.speaker != speaker)) continue;
    const int label = contrast_label(contrast, r.emotion);
    if (label < 0) continue;
    const bool flagged = s.probability >= result.options.decision_threshold;
    if (label == 1) {
      positive.push_back(s.probability);
      true_positive += flagged ? 1 : 0;
    } else {
      negative.push_back(s.probability);
      true_negative += flagged ? 0 : 1;
    }
  }
  Figures f;
  f.positives = positive.size();
  f.negatives = negative.size();
  f.auc = roc_auc(positive, negative);
  f.balanced_accuracy = positive.empty() || negative.empty()
                            ? std::numeric_limits<double>::quiet_NaN()
                            : 0.5 * (static_cast<double>(true_positive) / static_cast<double>(positive.size()) +
                                     static_cast<double>(true_negative) / static_cast<double>(negative.size()));
  return f;
}

std::array<double, detect::kProsodyCount> feature_aucs(const Dataset& data, const LosoResult& result, Contrast contrast,
                                                       Condition condition) {
  std::array<double, detect::kProsodyCount> out{};
  for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
    std::vector<double> positive, negative;
    for (const auto& s : result.scores) {
      const int label = contrast_label(contrast, data.recordings[s.recording].emotion);
      if (s.condition != condition || label < 0) continue;
      const float z = s.deviation.values[f];
      (label == 1 ? positive : negative).push_back(std::isfinite(z) ? z : 0.0);
    }
    out[f] = roc_auc(positive, negative);
  }
  return out;
}

ColdStartFigures cold_start_figures(const Dataset& data, const LosoResult& result, Contrast contrast,
                                    Condition condition) {
  ColdStartFigures f;
  std::vector<double> positive, negative;
  for (const auto& s : result.cold_scores) {
    const int label = contrast_label(contrast, data.recordings[s.recording].emotion);
    if (s.condition != condition || label < 0) continue;
    const bool flagged = s.probability >= result.options.decision_threshold;
    if (label == 1) {
      positive.push_back(s.probability);
      f.positives_flagged += flagged ? 1 : 0;
    } else {
      negative.push_back(s.probability);
      f.negatives_flagged += flagged ? 1 : 0;
    }
  }
  f.positives = positive.size();
  f.negatives = negative.size();
  f.auc = roc_auc(positive, negative);
  return f;
}

namespace {

// The contrasts the dataset can tell apart from anger vs neutral (arousal needs F or T).
std::vector<Contrast> contrasts_of(const Dataset& data) {
  std::vector<Contrast> out = {Contrast::anger_neutral};
  for (const auto& r : data.recordings) {
    if (r.emotion == 'F' || r.emotion == 'T') {
      out.push_back(Contrast::arousal);
      break;
    }
  }
  return out;
}

std::string contrast_title(Contrast c) {
  return c == Contrast::anger_neutral ? "anger vs neutral" : "high (W,F) vs low (N,T)";
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// Median held-out probability of each emotion in a condition.
std::map<char, double> median_scores(const Dataset& data, const LosoResult& result, Condition condition) {
  std::map<char, std::vector<float>> by_emotion;
  for (const auto& s : result.scores) {
    if (s.condition == condition) by_emotion[data.recordings[s.recording].emotion].push_back(static_cast<float>(s.probability));
  }
  std::map<char, double> out;
  for (auto& [emotion, values] : by_emotion) out[emotion] = median_of(values);
  return out;
}

}  // namespace

std::string loso_table(const Dataset& data, const LosoResult& result) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3);
  out << "Leave-one-speaker-out over " << data.speakers.size() << " EmoDB speakers; trained on "
      << to_string(result.options.contrast) << " (l2 " << result.options.l2 << "), threshold "
      << result.options.decision_threshold << "\n  excluded from the fit: " << joined(result.options.excluded_features)
      << "; direction constraints " << (result.options.constrain_directions ? "on" : "off") << "\n";
  out << "  contrast                 condition   AUC    bal.acc  n+   n-\n";
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      const Figures f = loso_figures(data, result, c, cond);
      if (f.positives == 0 || f.negatives == 0) continue;
      out << "  " << std::left << std::setw(25) << contrast_title(c) << std::setw(11) << to_string(cond)
          << std::right << " " << f.auc << "  " << f.balanced_accuracy << "   " << std::setw(3) << f.positives << "  "
          << std::setw(3) << f.negatives << "\n";
    }
  }
  out << "\n  per-speaker AUC (held out)\n  speaker sex";
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      out << "  " << (c == Contrast::anger_neutral ? "W/N " : "hi/lo ") << to_string(cond).substr(0, 4);
    }
  }
  out << "   W  N  F  T (test items)  baseline windows refused/offered\n";
  for (std::size_t k = 0; k < data.speakers.size(); ++k) {
    const std::string& speaker = data.speakers[k];
    std::string sex;
    std::map<char, std::size_t> counts;
    for (std::size_t i = 0; i < data.recordings.size(); ++i) {
      const auto& r = data.recordings[i];
      if (r.speaker != speaker) continue;
      sex = r.sex;
      if (!data.baseline_recording[i]) ++counts[r.emotion];
    }
    out << "  " << std::setw(7) << speaker << " " << std::setw(3) << sex;
    for (Contrast c : contrasts_of(data)) {
      for (Condition cond : data.options.conditions) {
        const Figures f = loso_figures(data, result, c, cond, speaker);
        const int width = c == Contrast::anger_neutral ? 10 : 12;
        if (std::isnan(f.auc)) {
          out << std::setw(width) << "-";
        } else {
          out << std::setw(width) << f.auc;
        }
      }
    }
    out << "  " << std::setw(2) << counts['W'] << " " << std::setw(2) << counts['N'] << " " << std::setw(2)
        << counts['F'] << " " << std::setw(2) << counts['T'];
    if (k < result.speaker_baseline_windows.size()) {
      out << "  " << std::setw(13) << result.speaker_baseline_windows_gated[k] << "/"
          << result.speaker_baseline_windows[k];
    }
    out << "\n";
  }
  out << "\n  median held-out probability   W       N       F       T\n";
  for (Condition cond : data.options.conditions) {
    auto m = median_scores(data, result, cond);
    out << "  " << std::left << std::setw(28) << to_string(cond) << std::right;
    for (char e : std::string("WNFT")) {
      if (m.count(e) != 0) {
        out << std::setw(8) << m[e];
      } else {
        out << std::setw(8) << "-";
      }
    }
    out << "\n";
  }
  out << "\n  dropped for opposing their direction, per fold (held-out speaker):\n";
  for (std::size_t k = 0; k < result.dropped_for_direction.size() && k < data.speakers.size(); ++k) {
    out << "    " << data.speakers[k] << ": " << joined(result.dropped_for_direction[k]) << "\n";
  }
  out << "\n  single-feature AUC of the held-out deviation (> 0.5: higher in the first group)\n";
  out << "  feature                  ";
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      out << "  " << (c == Contrast::anger_neutral ? "W/N " : "hi/lo ") << to_string(cond).substr(0, 4);
    }
  }
  out << "\n";
  std::vector<std::array<double, detect::kProsodyCount>> columns;
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) columns.push_back(feature_aucs(data, result, c, cond));
  }
  for (std::size_t f = 0; f < detect::kProsodyCount; ++f) {
    out << "  " << std::left << std::setw(25) << detect::kProsodyNames[f] << std::right;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      out << std::setw(k < data.options.conditions.size() ? 10 : 12) << columns[k][f];
    }
    out << "\n";
  }
  out << "\n  held-out baseline windows offered: " << result.baseline_windows
      << ", refused as agitated by the fold model: " << result.baseline_windows_gated << "\n";
  out << "\n  cold start: each test item against the prior of the register it shows, nothing learned ("
      << result.cold_without_register << " of " << result.cold_scores.size() << " showed no register)\n";
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      const ColdStartFigures f = cold_start_figures(data, result, c, cond);
      if (f.positives == 0 || f.negatives == 0) continue;
      out << "  " << std::left << std::setw(25) << contrast_title(c) << std::setw(11) << to_string(cond) << std::right
          << " AUC " << f.auc << ", at or above the threshold: " << f.positives_flagged << "/" << f.positives
          << " positives, " << f.negatives_flagged << "/" << f.negatives << " negatives\n";
    }
  }
  return out.str();
}

nlohmann::json loso_json(const Dataset& data, const LosoResult& result) {
  nlohmann::json j;
  j["protocol"] = "leave-one-speaker-out over " + std::to_string(data.speakers.size()) +
                  " EmoDB speakers; per fold: priors, baselines and weights from the training speakers only; "
                  "held-out baseline from its first " +
                  std::to_string(data.options.baseline_utterances) +
                  " neutral recordings (lowest text codes), each window scored against the register prior or the baseline so "
                  "far by the fold model and refused when agitated; those recordings are not test items";
  j["trained_on"] = std::string(to_string(result.options.contrast));
  nlohmann::json pooled = nlohmann::json::array();
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      const Figures f = loso_figures(data, result, c, cond);
      if (f.positives == 0 || f.negatives == 0) continue;
      nlohmann::json per_speaker;
      for (const auto& speaker : data.speakers) {
        const Figures fs = loso_figures(data, result, c, cond, speaker);
        per_speaker[speaker] = std::isnan(fs.auc) ? nlohmann::json(nullptr) : nlohmann::json(rounded(fs.auc, 1e4));
      }
      pooled.push_back({{"contrast", std::string(to_string(c))},
                        {"condition", std::string(to_string(cond))},
                        {"auc", rounded(f.auc, 1e4)},
                        {"balanced_accuracy", rounded(f.balanced_accuracy, 1e4)},
                        {"positives", f.positives},
                        {"negatives", f.negatives},
                        {"per_speaker_auc", per_speaker}});
    }
  }
  j["results"] = pooled;
  nlohmann::json medians;
  for (Condition cond : data.options.conditions) {
    for (const auto& [emotion, value] : median_scores(data, result, cond)) {
      medians[std::string(to_string(cond))][std::string(1, emotion)] = rounded(value, 1e4);
    }
  }
  j["median_probability_by_emotion"] = medians;
  nlohmann::json dropped;
  for (std::size_t k = 0; k < result.dropped_for_direction.size() && k < data.speakers.size(); ++k) {
    dropped[data.speakers[k]] = result.dropped_for_direction[k];
  }
  j["dropped_for_direction_per_fold"] = dropped;
  j["baseline_windows"] = result.baseline_windows;
  j["baseline_windows_refused_as_agitated"] = result.baseline_windows_gated;
  nlohmann::json cold = nlohmann::json::array();
  for (Contrast c : contrasts_of(data)) {
    for (Condition cond : data.options.conditions) {
      const ColdStartFigures f = cold_start_figures(data, result, c, cond);
      if (f.positives == 0 || f.negatives == 0) continue;
      cold.push_back({{"contrast", std::string(to_string(c))},
                      {"condition", std::string(to_string(cond))},
                      {"auc", rounded(f.auc, 1e4)},
                      {"positives_at_threshold", f.positives_flagged},
                      {"positives", f.positives},
                      {"negatives_at_threshold", f.negatives_flagged},
                      {"negatives", f.negatives}});
    }
  }
  j["cold_start"] = {{"protocol", "each held-out test item against the prior of the register it shows, nothing "
                                  "of the speaker learned"},
                     {"items_without_register", result.cold_without_register},
                     {"results", cold}};
  return j;
}

}  // namespace tw::training
