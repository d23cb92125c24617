#pragma once
// Resume: a call is skipped only when its outputs are complete and were made
// from the same input by the same tonewatch, model and settings.

#include <string>

#include <nlohmann/json.hpp>

#include "batch/input_identity.h"
#include "report/call_outputs.h"

namespace tw::batch {

/// What, besides the input, decides a call's outputs; the same for every call of a run.
struct RunFingerprint {
  std::string tonewatch_version;
  /// Which sources that version was built from (app::source_identity()): builds from
  /// source between releases share a version, not their code.
  std::string tonewatch_sources;
  std::string model;       ///< where the model came from (a path, or the built-in model's name)
  std::string model_text;  ///< the model file's text, hashed
  /// Everything else that changes what the outputs say: detection thresholds,
  /// channel layout, raw format. Canonical JSON (sorted keys). (Which files are
  /// written, --format and --frames, is checked by the files being there.)
  nlohmann::json settings = nlohmann::json::object();

  /// fnv1a64 of the model text, and of settings.dump().
  std::string model_hash() const;
  std::string settings_hash() const;
  /// The summary's "analysis" object: tonewatch_version, tonewatch_sources, model,
  /// model_fnv1a64, settings_fnv1a64.
  nlohmann::json summary_json() const;
};

/// The state of one call's outputs.
struct ResumeCheck {
  bool done = false;         ///< complete, and made from this input with this fingerprint: skip it
  bool other_input = false;  ///< the outputs under this id are another input's: do not overwrite them
  std::string reason;        ///< when not done but a summary was there: why it is redone
  nlohmann::json summary;    ///< the summary, when done
};

/// Reads the summary at paths.summary and checks it against the input and the
/// run; all the other output files (the frame table when `frames`) must exist
/// too. A summary that is not valid JSON, from another tonewatch version or build,
/// another model or other settings, or for a changed input is not done. Never throws.
ResumeCheck check_outputs(const report::CallOutputPaths& paths, bool frames, const InputIdentity& input,
                          const RunFingerprint& run);

}  // namespace tw::batch
