#include "features/crosstalk_gate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "features/hop_features.h"

namespace tw::features {
namespace {

void require_crosstalk(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("CrosstalkConfig: " + message);
}
}  // namespace

CrosstalkGate::CrosstalkGate(const CrosstalkConfig& config) : config_(config) {
  require_crosstalk(config.coupling_margin_db > 0.0f, "coupling_margin_db must be > 0");
  require_crosstalk(config.echo_tail_s >= 0.0f, "echo_tail_s must be >= 0");
  require_crosstalk(config.envelope_window_s >= 0.05f, "envelope_window_s must be >= 0.05");
  require_crosstalk(config.min_envelope_correlation > 0.0f && config.min_envelope_correlation <= 1.0f,
          "min_envelope_correlation must be in (0, 1]");
  tail_hops_ = static_cast<std::int64_t>(std::lround(config.echo_tail_s * kHopsPerSecond)) + 1;
  window_hops_ = static_cast<std::int64_t>(std::lround(config.envelope_window_s * kHopsPerSecond));
  require_crosstalk(tail_hops_ + window_hops_ <= static_cast<std::int64_t>(kHistory),
          "echo_tail_s + envelope_window_s must not exceed 1.27 s");
  reset();
}

void CrosstalkGate::reset() noexcept {
  for (Side& s : sides_) {
    s.level_db.fill(kSilenceFloorDb);
    s.last_active = -1000;
  }
  hop_ = 0;
  cleared_.fill(0);
}

float CrosstalkGate::level(const Side& side, std::int64_t hops_ago) const noexcept {
  const std::int64_t h = hop_ - hops_ago;
  return h < 0 ? kSilenceFloorDb : side.level_db[static_cast<std::size_t>(h) % kHistory];
}

float CrosstalkGate::tail_max(const Side& side) const noexcept {
  float m = kSilenceFloorDb;
  for (std::int64_t d = 0; d < tail_hops_; ++d) m = std::max(m, level(side, d));
  return m;
}

float CrosstalkGate::envelope_match(const Side& own, const Side& other) const noexcept {
  // Pearson correlation of the two dB contours over the window, the other side
  // delayed by d hops; the best over the echo tail.
  const auto n = static_cast<double>(window_hops_);
  double sa = 0.0, saa = 0.0;
  for (std::int64_t i = 0; i < window_hops_; ++i) {
    const double a = level(own, i);
    sa += a;
    saa += a * a;
  }
  const double var_a = saa - sa * sa / n;
  if (var_a <= 1e-6) return 0.0f;
  float best = -1.0f;
  for (std::int64_t d = 0; d < tail_hops_; ++d) {
    double sb = 0.0, sbb = 0.0, sab = 0.0;
    for (std::int64_t i = 0; i < window_hops_; ++i) {
      const double a = level(own, i), b = level(other, i + d);
      sb += b;
      sbb += b * b;
      sab += a * b;
    }
    const double var_b = sbb - sb * sb / n;
    if (var_b <= 1e-6) continue;
    best = std::max(best, static_cast<float>((sab - sa * sb / n) / std::sqrt(var_a * var_b)));
  }
  return best;
}

unsigned CrosstalkGate::process(HopFeatures& first, HopFeatures& second) noexcept {
  HopFeatures* hop[2] = {&first, &second};
  for (std::size_t k = 0; k < 2; ++k) sides_[k].level_db[static_cast<std::size_t>(hop_) % kHistory] = hop[k]->voice_band_db;
  // Speaking now, or (as speech, not as leakage) within the echo tail.
  auto speaking = [&](std::size_t k) { return hop[k]->vad || hop_ - sides_[k].last_active < tail_hops_; };

  unsigned cleared = 0;
  const float loudest[2] = {tail_max(sides_[0]), tail_max(sides_[1])};
  for (std::size_t k = 0; k < 2; ++k) {
    if (!hop[k]->vad || !speaking(1 - k)) continue;
    const bool far_below_other = hop[k]->voice_band_db <= loudest[1 - k] - config_.coupling_margin_db;
    if (far_below_other && envelope_match(sides_[k], sides_[1 - k]) >= config_.min_envelope_correlation) {
      cleared |= 1u << k;
    }
  }
  // Each side can look like the other's leak: the tail of one talker's word
  // under the echo of that same word on the other line. The louder line is the
  // source; only the other is leakage.
  if (cleared == 3u) cleared = loudest[0] >= loudest[1] ? 2u : 1u;
  for (std::size_t k = 0; k < 2; ++k) {
    if ((cleared >> k) & 1u) {
      hop[k]->vad = false;
      ++cleared_[k];
    }
    if (hop[k]->vad) sides_[k].last_active = hop_;
  }
  ++hop_;
  return cleared;
}

}  // namespace tw::features
