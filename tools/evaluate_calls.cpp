// evaluate_calls: composes test calls with known events from EmoDB, puts each
// through every telephone line condition, runs them through tonewatch's per-call
// pipeline and scores the events against the truth: recall, precision and onset
// latency per condition and event type, and caller-agitation flags on calm calls.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/config_file.h"
#include "agitation_dataset.h"
#include "app/default_model.h"
#include "tools/suite_runner.h"
#include "build_paths.h"

int main(int argc, char** argv) {
  CLI::App app{"Scores tonewatch's alerts on composed test calls against their ground truth"};
  std::string emodb_dir = tw::build::default_shared_data_dir() + "/emodb";
  std::string ivr_dir = tw::build::default_shared_data_dir() + "/telephone_voice";
  std::string out_dir = "tonewatch-evaluation";
  std::string only;
  std::string suite_name = "all";
  std::string speakers_text = "03,08,09,10,11,12,13,14,15,16";
  std::string model_path, config_path;
  std::string conditions_text = "clean,ulaw,alaw,gsm,agc,loss";
  bool keep = false, folds = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("--emodb", emodb_dir, "EmoDB folder (labels.csv, wav/, silb/)")->capture_default_str();
  app.add_option("--ivr", ivr_dir, "Folder of calm IVR-voice recordings for the calm_ivr calls ('' to skip)")
      ->capture_default_str();
  app.add_option("--speakers", speakers_text, "EmoDB speakers the calls are made of (keep them out of the model's training)")
      ->capture_default_str();
  app.add_option("--model", model_path, "Agitation model (default: the one built into tonewatch)");
  app.add_flag("--folds", folds,
               "Speaker-split, as the test suite: the calls of each of the two speaker folds scored with a model "
               "trained on the other fold's EmoDB speakers (ignores --speakers and --model)");
  app.add_option("--config", config_path, "Detection config file (default: built-in defaults)");
  app.add_option("--conditions", conditions_text, "Line conditions, comma-separated")->capture_default_str();
  app.add_flag("--keep", keep, "Write every call's audio, truth and the product's outputs under --out (slower)");
  app.add_option("--suite", suite_name,
                 "main: the scenarios of the test suite's [evaluation] case; early-pace: issue 27's early shouting, "
                 "short pace episodes and calm short turns; all: both")
      ->check(CLI::IsMember({"main", "early-pace", "all"}))
      ->capture_default_str();
  app.add_option("--only", only, "Run only the calls whose name contains this text (e.g. a scenario, or a whole call name)");
  app.add_option("--out", out_dir, "Where kept calls and their analyses go")->capture_default_str();
  app.add_option("--jobs,-j", jobs, "Calls in parallel")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    tw::tools::EmodbCatalog catalog(emodb_dir);
    std::vector<std::string> ivr_files;
    if (!ivr_dir.empty()) {
      ivr_files = tw::tools::select_prompts(ivr_dir);
      std::sort(ivr_files.begin(), ivr_files.end());
      for (const std::string& f : ivr_files) catalog.add_recording(f, "ivr");
    }
    std::vector<std::string> speakers;
    std::stringstream list(speakers_text);
    for (std::string s; std::getline(list, s, ',');) speakers.push_back(s);

    tw::tools::SuiteRunOptions options;
    if (keep) options.output_dir = out_dir;
    options.jobs = jobs;
    options.conditions.clear();
    std::stringstream condition_list(conditions_text);
    for (std::string c; std::getline(condition_list, c, ',');) options.conditions.push_back(tw::tools::parse_line_condition(c));
    tw::tools::UtteranceCache cache;
    options.cache = &cache;
    if (!config_path.empty()) options.job.session.detection = tw::app::load_config_file(config_path);
    options.rules.dead_air_s = options.job.session.detection.turns.dead_air_s;

    // (callers, model) per run: one run with the chosen model, or one per fold.
    std::vector<std::pair<std::vector<std::string>, tw::detect::AgitationModel>> runs;
    if (folds) {
      std::cerr << "extracting EmoDB features for the fold models ...\n";
      tw::training::DatasetOptions dataset_options;
      dataset_options.threads = std::max(1u, jobs);
      const tw::training::Dataset data = tw::training::build_dataset(emodb_dir, dataset_options);
      for (std::size_t f = 0; f < tw::tools::kSpeakerFolds.size(); ++f) {
        std::vector<std::string> training;
        for (std::size_t g = 0; g < tw::tools::kSpeakerFolds.size(); ++g) {
          if (g != f) training.insert(training.end(), tw::tools::kSpeakerFolds[g].begin(), tw::tools::kSpeakerFolds[g].end());
        }
        const tw::training::TrainedModel trained = tw::training::train_model(data, training, {});
        runs.emplace_back(tw::tools::kSpeakerFolds[f],
                          tw::detect::AgitationModel::from_json(tw::training::model_json(trained, "fold")));
      }
    } else {
      runs.emplace_back(speakers, tw::app::load_agitation_model(model_path));
    }
    std::vector<tw::tools::SuiteCallResult> results;
    for (std::size_t run = 0; run < runs.size(); ++run) {
      const auto& [callers, model] = runs[run];
      options.job.model = &model;
      // Each fold composes its own calm IVR-voice calls under the same names: keep them apart.
      if (keep) options.output_dir = runs.size() > 1 ? out_dir + "/fold-" + std::to_string(run + 1) : out_dir;
      std::vector<tw::tools::SuiteCall> suite;
      if (suite_name != "early-pace") suite = tw::tools::make_evaluation_suite(callers, ivr_files, emodb_dir);
      if (suite_name != "main") {
        for (auto& call : tw::tools::make_early_and_pace_suite(callers, emodb_dir)) suite.push_back(std::move(call));
      }
      if (!only.empty()) {
        std::erase_if(suite, [&](const tw::tools::SuiteCall& c) { return c.name.find(only) == std::string::npos; });
      }
      std::cerr << "composing and analysing " << suite.size() << " calls under " << options.conditions.size()
                << " line condition(s)" << (keep ? " into " + options.output_dir + "/" : std::string()) << " ...\n";
      const auto part = tw::tools::run_suite(suite, catalog, options);
      results.insert(results.end(), part.begin(), part.end());
    }
    std::cout << tw::tools::describe_suite(results) << "\n"
              << tw::tools::describe_conditions(tw::tools::score_conditions(results)) << "\n"
              << tw::tools::describe_scenarios(results);
    for (const auto& r : results) {
      if (!r.error.empty()) return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "evaluate_calls: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
