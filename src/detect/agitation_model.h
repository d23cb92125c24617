#pragma once
// The caller-agitation (arousal) model: logistic regression on baseline deviations.

#include <array>
#include <cmath>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "detect/prosody_vector.h"
#include "detect/speaker_baseline.h"

namespace tw::detect {

struct AgitationScore {
  float probability = 0.0f;  ///< agitation score in [0, 1]
  /// Each feature's share of the logit (weight * deviation), for evidence.
  std::array<float, kProsodyCount> contributions{};
};

/// Immutable after loading; shared read-only by every stream and worker.
class AgitationModel {
 public:
  /// Parses the model file's JSON (see models/README.md for the schema).
  /// Throws std::invalid_argument naming what is wrong.
  static AgitationModel from_json(const nlohmann::json& model);
  /// Parses JSON text; `source` names it in error messages.
  static AgitationModel from_text(const std::string& text, const std::string& source);

  /// Scores a window's deviations from the speaker's baseline. Missing features
  /// count as "at baseline" (0). Real-time safe.
  AgitationScore score(const ProsodyVector& deviation) const noexcept;

  const BaselinePrior& prior() const noexcept { return prior_; }
  const std::string& version() const noexcept { return version_; }
  float decision_threshold() const noexcept { return decision_threshold_; }
  float weight(Prosody p) const noexcept { return weights_[static_cast<std::size_t>(p)]; }
  float bias() const noexcept { return bias_; }
  /// The score of a window exactly at the speaker's baseline: where a calm
  /// speaker's smoothed level starts.
  float calm_probability() const noexcept { return 1.0f / (1.0f + std::exp(-bias_)); }

  /// Deviations beyond this many scale units are clipped before scoring, so one
  /// wild measurement cannot saturate the score alone.
  static constexpr float kDeviationClip = 4.0f;

 private:
  std::string version_;
  BaselinePrior prior_;
  std::array<float, kProsodyCount> weights_{};
  float bias_ = 0.0f;
  float decision_threshold_ = 0.5f;
};

}  // namespace tw::detect
