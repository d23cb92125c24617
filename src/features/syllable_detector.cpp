#include "features/syllable_detector.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "features/spectral_weights.h"

namespace tw::features {
namespace {
void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("SyllableConfig: " + message);
}
}  // namespace

SyllableDetector::SyllableDetector(const SyllableConfig& config, const dsp::SpectrumAnalyzer& analyzer)
    : config_(config) {
  require(config.band_low_hz >= 0.0f && config.band_high_hz > config.band_low_hz,
          "band_high_hz must be above band_low_hz >= 0");
  require(config.min_dip_db > 0.0f, "min_dip_db must be > 0");
  require(config.max_below_peak_db > 0.0f, "max_below_peak_db must be > 0");
  require(config.min_voicing >= 0.0f && config.min_voicing <= 1.0f, "min_voicing must be in [0, 1]");
  require(config.min_separation_s >= 0.0f, "min_separation_s must be >= 0");
  band_weights_ = band_factors(analyzer, config.band_low_hz, config.band_high_hz);
  for (float& w : band_weights_) w *= 2.0f;
  min_separation_hops_ = static_cast<std::int32_t>(std::lround(config.min_separation_s * 100.0f));
  // The loud-peak reference forgets at 3 dB/s, so a speaker who drops their
  // voice for good is measured against their new level within seconds.
  peak_release_db_per_hop_ = 0.03f;
}

void SyllableDetector::reset() noexcept {
  hop_ = 0;
  valley_db_ = 0.0f;
  has_candidate_ = false;
  candidate_db_ = 0.0f;
  candidate_hop_ = 0;
  candidate_voicing_ = 0.0f;
  candidate_snr_db_ = 0.0f;
  previous_voicing_[0] = previous_voicing_[1] = 0.0f;
  recent_peak_db_ = -200.0f;
  last_nucleus_hop_ = -1000000;
  started_ = false;
}

SyllableEvent SyllableDetector::process(const dsp::AnalysisFrame& frame, float noise_floor_db, float voicing) noexcept {
  const float intensity_db = power_to_db(weighted_sum(band_weights_, frame.power));
  const std::int64_t hop = hop_++;
  const float recent_voicing = std::max({voicing, previous_voicing_[0], previous_voicing_[1]});
  previous_voicing_[1] = previous_voicing_[0];
  previous_voicing_[0] = voicing;
  recent_peak_db_ -= peak_release_db_per_hop_;
  if (!started_) {
    valley_db_ = intensity_db;
    started_ = true;
  }

  SyllableEvent event;
  if (has_candidate_) {
    if (intensity_db > candidate_db_) {
      // Still rising: the candidate moves up to the new maximum.
      candidate_db_ = intensity_db;
      candidate_hop_ = hop;
      candidate_voicing_ = recent_voicing;
      candidate_snr_db_ = intensity_db - noise_floor_db;
    } else {
      // Voicing just after the peak also counts: the vowel may settle late.
      if (hop - candidate_hop_ <= 2) candidate_voicing_ = std::max(candidate_voicing_, voicing);
      if (intensity_db <= candidate_db_ - config_.min_dip_db) {
        const bool loud_enough = candidate_snr_db_ >= config_.min_snr_db &&
                                 candidate_db_ >= recent_peak_db_ - config_.max_below_peak_db;
        const bool separated = candidate_hop_ - last_nucleus_hop_ >= min_separation_hops_;
        if (loud_enough && separated && candidate_voicing_ >= config_.min_voicing) {
          event.detected = true;
          event.lag_hops = static_cast<std::int32_t>(hop - candidate_hop_);
          last_nucleus_hop_ = candidate_hop_;
          recent_peak_db_ = std::max(recent_peak_db_, candidate_db_);
        }
        has_candidate_ = false;
        valley_db_ = intensity_db;
      }
    }
  } else {
    valley_db_ = std::min(valley_db_, intensity_db);
    if (intensity_db >= valley_db_ + config_.min_dip_db) {
      has_candidate_ = true;
      candidate_db_ = intensity_db;
      candidate_hop_ = hop;
      candidate_voicing_ = recent_voicing;
      candidate_snr_db_ = intensity_db - noise_floor_db;
    }
  }
  return event;
}

}  // namespace tw::features
