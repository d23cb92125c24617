// Leave-one-speaker-out evaluation of the agitation model recipe on EmoDB:
// every fold retrains with the same trainer (train_agitation_model's code) on the
// other nine speakers and scores the held-out one, on original and telephone audio.
//
//   evaluate_agitation_model --emodb ../shared/data/emodb [--contrast anger-neutral] [--json out.json]

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agitation_dataset.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Leave-one-speaker-out evaluation of the tonewatch agitation model on EmoDB: AUC and balanced accuracy\n"
      "for anger vs neutral and high vs low arousal, on original and telephone (8 kHz mu-law) audio."};
  std::string emodb = TW_DEFAULT_EMODB_DIR;
  std::string contrast = "anger-neutral";
  double l2 = tw::training::TrainerOptions{}.l2;
  std::size_t baseline_utterances = tw::training::DatasetOptions{}.baseline_utterances;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string json_path;
  app.add_option("--emodb", emodb, "EmoDB folder (labels.csv and wav/)")->capture_default_str();
  app.add_option("--contrast", contrast, "training contrast: anger-neutral or arousal (W,F vs N,T)")
      ->capture_default_str()
      ->check(CLI::IsMember({"anger-neutral", "arousal"}));
  app.add_option("--l2", l2, "L2 penalty on standardized weights")->capture_default_str()->check(CLI::NonNegativeNumber);
  std::vector<std::string> excluded = tw::training::TrainerOptions{}.excluded_features;
  app.add_option("--exclude", excluded, "features kept out of the fit (weight 0); pass none to fit all")
      ->capture_default_str();
  bool free_directions = false;
  app.add_flag("--free-directions", free_directions,
               "let every weight take the sign the data gives (default: drop features that oppose the arousal "
               "literature)");
  app.add_option("--baseline-utterances", baseline_utterances,
                 "neutral recordings per speaker (lowest text codes) that form the baseline")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  app.add_option("--threads", threads, "feature-extraction threads")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--json", json_path, "also write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  try {
    tw::training::DatasetOptions data_options;
    data_options.threads = threads;
    data_options.baseline_utterances = baseline_utterances;
    std::cerr << "extracting features from " << emodb << " (original and telephone) ...\n";
    const tw::training::Dataset data = tw::training::build_dataset(emodb, data_options);
    std::cerr << "  " << data.recordings.size() << " recordings, " << data.speakers.size() << " speakers in "
              << data.seconds << " s\n";
    tw::training::TrainerOptions options;
    options.contrast = tw::training::parse_contrast(contrast);
    options.l2 = l2;
    options.constrain_directions = !free_directions;
    options.excluded_features.clear();
    for (const auto& name : excluded) {
      if (name != "none") options.excluded_features.push_back(name);
    }
    const tw::training::LosoResult result = tw::training::evaluate_loso(data, options);
    std::cout << tw::training::loso_table(data, result);
    if (!json_path.empty()) {
      std::ofstream out(json_path);
      out << tw::training::loso_json(data, result).dump(2) << "\n";
      if (!out) throw std::runtime_error("cannot write " + json_path);
    }
  } catch (const std::exception& e) {
    std::cerr << "evaluate_agitation_model: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
