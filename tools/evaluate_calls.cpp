// evaluate_calls: composes test calls with known events from EmoDB, runs them
// through tonewatch's batch path and scores the alerts against the truth:
// recall, precision and onset latency per event type, and alerts on calm calls.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/config_file.h"
#include "app/default_model.h"
#include "tools/suite_runner.h"

int main(int argc, char** argv) {
  CLI::App app{"Scores tonewatch's alerts on composed test calls against their ground truth"};
  std::string emodb_dir = TW_DEFAULT_EMODB_DIR;
  std::string ivr_dir = TW_DEFAULT_IVR_DIR;
  std::string out_dir = "tonewatch-evaluation";
  std::string speakers_text = "03,08,09,10,11,12,13,14,15,16";
  std::string model_path, config_path;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("--emodb", emodb_dir, "EmoDB folder (labels.csv, wav/, silb/)")->capture_default_str();
  app.add_option("--ivr", ivr_dir, "Folder of calm IVR-voice recordings for the calm_ivr calls ('' to skip)")
      ->capture_default_str();
  app.add_option("--speakers", speakers_text, "EmoDB speakers the calls are made of (keep them out of the model's training)")
      ->capture_default_str();
  app.add_option("--model", model_path, "Agitation model (default: the one built into tonewatch)");
  app.add_option("--config", config_path, "Detection config file (default: built-in defaults)");
  app.add_option("--out", out_dir, "Where composed calls and their analyses go")->capture_default_str();
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

    const tw::detect::AgitationModel model = tw::app::load_agitation_model(model_path);
    tw::tools::SuiteRunOptions options;
    options.output_dir = out_dir;
    options.jobs = jobs;
    options.job.model = &model;
    if (!config_path.empty()) options.job.session.detection = tw::app::load_config_file(config_path);
    options.rules.dead_air_s = options.job.session.detection.turns.dead_air_s;

    const auto suite = tw::tools::make_evaluation_suite(speakers, ivr_files, emodb_dir);
    std::cerr << "composing and analysing " << suite.size() << " calls into " << out_dir << "/ ...\n";
    const auto results = tw::tools::run_suite(suite, catalog, options);
    std::cout << tw::tools::describe_suite(results);
    for (const auto& r : results) {
      if (!r.error.empty()) return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "evaluate_calls: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
