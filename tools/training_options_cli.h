#pragma once
// The model recipe's command-line options, shared by train_agitation_model and
// evaluate_agitation_model so both always describe the same recipe.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agitation_dataset.h"
#include "build_paths.h"

namespace tw::training {

struct RecipeOptions {
  std::string emodb = tw::build::default_shared_data_dir() + "/emodb";
  std::string contrast = "anger-neutral";
  double l2 = TrainerOptions{}.l2;
  std::vector<std::string> excluded = TrainerOptions{}.excluded_features;
  bool free_directions = false;
  std::size_t baseline_utterances = DatasetOptions{}.baseline_utterances;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());

  /// Registers --emodb, --contrast, --l2, --exclude, --free-directions,
  /// --baseline-utterances and --threads.
  void add_to(CLI::App& app) {
    app.add_option("--emodb", emodb, "EmoDB folder (labels.csv and wav/)")->capture_default_str();
    app.add_option("--contrast", contrast, "training contrast: anger-neutral or arousal (W,F vs N,T)")
        ->capture_default_str()
        ->check(CLI::IsMember({"anger-neutral", "arousal"}));
    app.add_option("--l2", l2, "L2 penalty on standardized weights")->capture_default_str()->check(CLI::NonNegativeNumber);
    app.add_option("--exclude", excluded, "features kept out of the fit (weight 0); pass none to fit all")
        ->capture_default_str();
    app.add_flag("--free-directions", free_directions,
                 "let every weight take the sign the data gives (default: drop features that oppose the arousal "
                 "literature)");
    app.add_option("--baseline-utterances", baseline_utterances,
                   "neutral recordings per speaker (lowest text codes) that form the baseline")
        ->capture_default_str()
        ->check(CLI::Range(1, 8));
    app.add_option("--threads", threads, "feature-extraction threads")->capture_default_str()->check(CLI::Range(1, 256));
  }

  /// Extracts every recording's features (progress on stderr).
  Dataset build() const {
    DatasetOptions data_options;
    data_options.threads = threads;
    data_options.baseline_utterances = baseline_utterances;
    std::cerr << "extracting features from " << emodb << " (original and telephone) ...\n";
    Dataset data = build_dataset(emodb, data_options);
    std::cerr << "  " << data.recordings.size() << " recordings, " << data.speakers.size() << " speakers in "
              << data.seconds << " s\n";
    return data;
  }

  TrainerOptions trainer() const {
    TrainerOptions options;
    options.contrast = parse_contrast(contrast);
    options.l2 = l2;
    options.constrain_directions = !free_directions;
    options.excluded_features.clear();
    for (const auto& name : excluded) {
      if (name != "none") options.excluded_features.push_back(name);
    }
    return options;
  }
};

}  // namespace tw::training
