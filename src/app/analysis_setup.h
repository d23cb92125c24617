#pragma once
// How a recording is to be analysed, as `tonewatch analyze`'s flags say it, turned
// into a batch job's options. The CLI and the Python API both build their jobs
// here, so the same choices give the same analysis and the same "analysis"
// fingerprint in every summary (and resume treats their outputs alike).

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "batch/call_job.h"
#include "pipeline/channel_layout.h"

namespace tw::app {

/// Everything but the inputs and the output files.
struct AnalysisChoices {
  std::string channels = pipeline::kDefaultChannelLayout;  ///< --channels: "caller,agent" or "agent,caller"
  std::string mono_role = "caller";                        ///< --mono-role
  std::string raw_encoding;  ///< --raw: empty for files with a header
  int raw_rate_hz = 8000;
  int raw_channels = 1;
  bool raw_big_endian = false;
  std::string config_path;  ///< --config: a file of thresholds
  /// Thresholds as JSON over the defaults (the Python API's Config), when no config_path.
  nlohmann::json config = nullptr;
  std::string model_path;  ///< --model; empty: the model built in
};

/// A choice that cannot be used; option() names the flag ("--config", "--model",
/// "--channels", ...), what() the file and the problem.
class AnalysisChoiceError : public std::invalid_argument {
 public:
  AnalysisChoiceError(std::string option, const std::string& message)
      : std::invalid_argument(message), option_(std::move(option)) {}
  const std::string& option() const noexcept { return option_; }

 private:
  std::string option_;
};

/// A batch job's analysis options and the model they point to.
struct AnalysisSetup {
  std::unique_ptr<detect::AgitationModel> model;  ///< job.model points here
  batch::CallJobOptions job;                      ///< output options left at their defaults
};

/// Reads the config and the model and fills the layout, raw format, thresholds
/// and fingerprint. Throws AnalysisChoiceError.
AnalysisSetup make_analysis_setup(const AnalysisChoices& choices);

}  // namespace tw::app
