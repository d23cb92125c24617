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
#include "training_options_cli.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Leave-one-speaker-out evaluation of the tonewatch agitation model on EmoDB: AUC and balanced accuracy\n"
      "for anger vs neutral and high vs low arousal, on original and telephone (8 kHz mu-law) audio."};
  std::string json_path;
  tw::training::RecipeOptions recipe;
  recipe.add_to(app);
  app.add_option("--json", json_path, "also write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  try {
    const tw::training::Dataset data = recipe.build();
    const tw::training::TrainerOptions options = recipe.trainer();
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
