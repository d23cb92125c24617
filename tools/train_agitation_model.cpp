// Trains the agitation (arousal) model on EmoDB and writes the model file the
// product loads (detect::AgitationModel::from_json), with provenance and the
// leave-one-speaker-out figures of the same recipe.
//
//   train_agitation_model --emodb ../shared/data/emodb --out models/agitation-v1.json

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agitation_dataset.h"
#include "training_options_cli.h"
#include "build_paths.h"

namespace {

// First line of a command's output, or "" (for git provenance only).
std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::array<char, 4096> buffer{};
  std::string out;
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Trains the tonewatch agitation model (L2-regularized logistic regression on speaker-baseline deviations)\n"
      "on EmoDB, original and telephone audio pooled, and writes the model file with provenance and\n"
      "leave-one-speaker-out figures."};
  std::string out_path = tw::build::source_dir() + "/models/agitation-v1.json";
  std::string version = "1.0.0";
  bool skip_evaluation = false;
  tw::training::RecipeOptions recipe;
  recipe.add_to(app);
  app.add_option("--out", out_path, "model file to write")->capture_default_str();
  app.add_option("--model-version", version, "version string written to the model")->capture_default_str();
  app.add_flag("--skip-evaluation", skip_evaluation, "do not run the leave-one-speaker-out evaluation");
  CLI11_PARSE(app, argc, argv);

  try {
    const tw::training::Dataset data = recipe.build();

    const tw::training::TrainerOptions options = recipe.trainer();
    const tw::training::TrainedModel trained = tw::training::train_model(data, data.speakers, options);
    nlohmann::json model = tw::training::model_json(trained, version);

    std::string command = "train_agitation_model";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    const std::string source = tw::build::source_dir();
    const std::string commit = command_output("git -C '" + source + "' rev-parse HEAD 2>/dev/null");
    const std::string dirty = command_output("git -C '" + source +
                                             "' status --porcelain -- src/dsp src/features src/detect "
                                             "tools/agitation_dataset.h tools/agitation_dataset.cpp "
                                             "tools/train_agitation_model.cpp 2>/dev/null");
    model["provenance"] = {
        {"data", "EmoDB (Burkhardt et al., Interspeech 2005; CC0-1.0): " + std::to_string(data.recordings.size()) +
                     " 16 kHz recordings of emotions W N F T, " + std::to_string(data.speakers.size()) +
                     " speakers (5 f, 5 m), German acted speech"},
        {"command", command},
        {"commit", commit.empty() ? "unknown" : commit},
        {"feature_code_modified_since_commit", !dirty.empty()},
        {"date", utc_now()},
        {"condition",
         "original (16 kHz resampled to 8 kHz) and telephone (sox: sinc 300-3400 Hz, 8 kHz G.711 mu-law) pooled"},
        {"baseline_protocol",
         "per speaker, the " + std::to_string(recipe.baseline_utterances) +
             " neutral recordings with the lowest text codes played back to back; every 1 s window summary "
             "offered to SpeakerBaseline with the default BaselineConfig; those recordings are not training items"},
    };
    if (!skip_evaluation) {
      std::cerr << "leave-one-speaker-out evaluation ...\n";
      const tw::training::LosoResult result = tw::training::evaluate_loso(data, options);
      std::cout << tw::training::loso_table(data, result);
      model["evaluation"] = tw::training::loso_json(data, result);
    }

    // The product's own parser must accept what we write.
    (void)tw::detect::AgitationModel::from_json(model);
    const std::filesystem::path out(out_path);
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    const std::string temporary = out_path + ".tmp";
    {
      std::ofstream file(temporary);
      file << model.dump(2) << "\n";
      if (!file) throw std::runtime_error("cannot write " + temporary);
    }
    std::filesystem::rename(temporary, out);
    std::cout << "\nweights (per scale unit of deviation from the speaker's baseline), bias " << trained.bias << ":\n";
    for (std::size_t f = 0; f < tw::detect::kProsodyCount; ++f) {
      std::cout << "  " << tw::detect::kProsodyNames[f] << ": " << trained.weights[f] << "  (prior median "
                << trained.prior.median[f] << ", scale " << trained.prior.scale[f] << ")\n";
    }
    std::cout << "wrote " << out_path << "\n";
  } catch (const std::exception& e) {
    std::cerr << "train_agitation_model: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
