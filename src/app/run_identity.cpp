#include "app/run_identity.h"

#include "app/config_file.h"
#include "app/default_model.h"
#include "app/source_identity.h"
#include "batch/resume.h"

namespace tw::app {

nlohmann::json live_analysis_json(const std::string& model_path, const detect::DetectionConfig& detection,
                                  std::string_view source) {
  batch::RunFingerprint run;
  run.tonewatch_version = TW_VERSION;
  run.tonewatch_sources = std::string(source_identity());
  run.model = model_name(model_path);
  run.model_text = read_model_text(model_path);
  run.settings = {{"detection", config_to_json(detection)}, {"source", std::string(source)}};
  return run.summary_json();
}

}  // namespace tw::app
