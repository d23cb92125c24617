#include "detect/agitation_model.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tw::detect {
namespace {

constexpr auto kF0 = static_cast<std::size_t>(Prosody::f0_median_st);

std::array<float, kProsodyCount> feature_array(const nlohmann::json& model, const nlohmann::json& values,
                                               const std::string& what) {
  const nlohmann::json& names = model.at("features");
  if (!values.is_array() || values.size() != names.size()) {
    throw std::invalid_argument(what + " must list one number per feature (" + std::to_string(names.size()) + ")");
  }
  std::array<float, kProsodyCount> out{};
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    const auto it = std::find(names.begin(), names.end(), std::string(kProsodyNames[i]));
    if (it == names.end()) throw std::invalid_argument("model lacks feature " + std::string(kProsodyNames[i]));
    const nlohmann::json& v = values[static_cast<std::size_t>(it - names.begin())];
    if (!v.is_number()) throw std::invalid_argument(what + ": value for " + std::string(kProsodyNames[i]) + " is not a number");
    out[i] = v.get<float>();
  }
  return out;
}

}  // namespace

AgitationModel AgitationModel::from_json(const nlohmann::json& model) {
  try {
    if (model.value("format", "") != "tonewatch-agitation-model") {
      throw std::invalid_argument("not a tonewatch agitation model (\"format\" must be \"tonewatch-agitation-model\")");
    }
    AgitationModel m;
    m.version_ = model.at("version").get<std::string>();
    const nlohmann::json& names = model.at("features");
    if (!names.is_array() || names.size() != kProsodyCount) {
      throw std::invalid_argument("\"features\" must list the " + std::to_string(kProsodyCount) + " prosody features");
    }
    m.prior_.median = feature_array(model, model.at("prior").at("median"), "prior.median");
    m.prior_.scale = feature_array(model, model.at("prior").at("scale"), "prior.scale");
    for (std::size_t i = 0; i < kProsodyCount; ++i) {
      if (!(m.prior_.scale[i] > 0.0f)) {
        throw std::invalid_argument("prior.scale of " + std::string(kProsodyNames[i]) + " must be > 0");
      }
    }
    // Between-speaker spreads and voice registers (format 1.1); a 1.0 model has
    // neither, and its speakers start from the population prior alone.
    if (model.at("prior").contains("spread")) {
      m.prior_.spread = feature_array(model, model.at("prior").at("spread"), "prior.spread");
    }
    if (model.contains("registers")) {
      const nlohmann::json& r = model.at("registers");
      m.prior_.has_registers = true;
      m.prior_.register_boundary_st = r.at("boundary_f0_median_st").get<float>();
      m.prior_.low.median = feature_array(model, r.at("low").at("median"), "registers.low.median");
      m.prior_.low.spread = feature_array(model, r.at("low").at("spread"), "registers.low.spread");
      m.prior_.high.median = feature_array(model, r.at("high").at("median"), "registers.high.median");
      m.prior_.high.spread = feature_array(model, r.at("high").at("spread"), "registers.high.spread");
      if (!std::isfinite(m.prior_.register_boundary_st) ||
          !(m.prior_.low.median[kF0] < m.prior_.register_boundary_st &&
            m.prior_.register_boundary_st < m.prior_.high.median[kF0])) {
        throw std::invalid_argument("registers.boundary_f0_median_st must lie between the low and high registers' F0 medians");
      }
    }
    for (std::size_t i = 0; i < kProsodyCount; ++i) {
      for (const auto* spread : {&m.prior_.spread, &m.prior_.low.spread, &m.prior_.high.spread}) {
        if (!((*spread)[i] >= 0.0f)) {
          throw std::invalid_argument("the spread of " + std::string(kProsodyNames[i]) + " must be >= 0");
        }
      }
    }
    m.weights_ = feature_array(model, model.at("logistic").at("weights"), "logistic.weights");
    m.bias_ = model.at("logistic").at("bias").get<float>();
    m.decision_threshold_ = model.value("decision_threshold", 0.5f);
    if (!(m.decision_threshold_ > 0.0f && m.decision_threshold_ < 1.0f)) {
      throw std::invalid_argument("decision_threshold must be in (0, 1)");
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("malformed model: ") + e.what());
  }
}

AgitationModel AgitationModel::from_text(const std::string& text, const std::string& source) {
  try {
    return from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": not valid JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
}

AgitationScore AgitationModel::score(const ProsodyVector& deviation) const noexcept {
  AgitationScore s;
  float logit = bias_;
  for (std::size_t i = 0; i < kProsodyCount; ++i) {
    const float z = deviation.values[i];
    const float clipped = std::isfinite(z) ? std::clamp(z, -kDeviationClip, kDeviationClip) : 0.0f;
    s.contributions[i] = weights_[i] * clipped;
    logit += s.contributions[i];
  }
  s.probability = 1.0f / (1.0f + std::exp(-logit));
  return s;
}

}  // namespace tw::detect
