#include "app/analysis_setup.h"

#include "app/config_file.h"
#include "app/default_model.h"
#include "app/source_identity.h"
#include "io/path_text.h"

namespace tw::app {

AnalysisSetup make_analysis_setup(const AnalysisChoices& choices) {
  AnalysisSetup setup;
  batch::CallJobOptions& job = setup.job;
  try {
    job.layout.stereo = pipeline::parse_channel_layout(choices.channels);
  } catch (const std::invalid_argument& e) {
    throw AnalysisChoiceError("--channels", e.what());
  }
  const auto mono = features::parse_speaker_role(choices.mono_role);
  if (!mono) throw AnalysisChoiceError("--mono-role", "'" + choices.mono_role + "' is not caller or agent");
  job.layout.mono = *mono;

  nlohmann::json raw_json = nullptr;
  if (!choices.raw_encoding.empty()) {
    io::RawFormat raw;
    try {
      raw.encoding = io::parse_raw_encoding(choices.raw_encoding);
    } catch (const std::invalid_argument& e) {
      throw AnalysisChoiceError("--raw", e.what());
    }
    if (choices.raw_rate_hz < 8000 || choices.raw_rate_hz > 48000) {
      throw AnalysisChoiceError("--raw-rate", std::to_string(choices.raw_rate_hz) + " Hz is not in 8000-48000");
    }
    if (choices.raw_channels < 1 || choices.raw_channels > 2) {
      throw AnalysisChoiceError("--raw-channels", std::to_string(choices.raw_channels) + " is not 1 or 2");
    }
    raw.sample_rate_hz = choices.raw_rate_hz;
    raw.channels = choices.raw_channels;
    raw.big_endian = choices.raw_big_endian;
    job.source.raw = raw;
    raw_json = {{"encoding", choices.raw_encoding},
                {"rate_hz", choices.raw_rate_hz},
                {"channels", choices.raw_channels},
                {"big_endian", choices.raw_big_endian}};
  }

  try {
    if (!choices.config_path.empty()) {
      job.session.detection = load_config_file(choices.config_path);
    } else if (!choices.config.is_null()) {
      apply_config_json(choices.config, job.session.detection);
    }
  } catch (const std::invalid_argument& e) {
    throw AnalysisChoiceError("--config", io::escape_invalid_utf8(e.what()));
  }

  std::string model_text;
  const std::string name = model_name(choices.model_path);
  try {
    model_text = read_model_text(choices.model_path);
    setup.model = std::make_unique<detect::AgitationModel>(detect::AgitationModel::from_text(model_text, name));
  } catch (const std::invalid_argument& e) {
    throw AnalysisChoiceError("--model", io::escape_invalid_utf8(e.what()));
  }
  job.model = setup.model.get();
  job.run.tonewatch_version = TW_VERSION;
  job.run.tonewatch_sources = std::string(source_identity());
  job.run.model = name;
  job.run.model_text = std::move(model_text);
  job.run.settings = {{"detection", config_to_json(job.session.detection)},
                      {"channels", choices.channels},
                      {"mono_role", choices.mono_role},
                      {"raw", raw_json}};
  return setup;
}

}  // namespace tw::app
