#include "features/speaker_statistics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tw::features {

Histogram::Histogram(float low, float high, float bin_width) : low_(low), bin_width_(bin_width) {
  if (!(high > low) || !(bin_width > 0.0f)) throw std::invalid_argument("Histogram: need high > low and bin_width > 0");
  bins_.assign(static_cast<std::size_t>(std::ceil((high - low) / bin_width)), 0);
}

void Histogram::add(float value) noexcept {
  if (std::isnan(value)) return;
  const float position = (value - low_) / bin_width_;
  const auto last = static_cast<float>(bins_.size() - 1);
  ++bins_[static_cast<std::size_t>(std::clamp(position, 0.0f, last))];
  ++count_;
}

float Histogram::quantile(float q) const noexcept {
  if (count_ == 0) return kMissing;
  const double target = q * static_cast<double>(count_);
  double cumulative = 0.0;
  for (std::size_t i = 0; i < bins_.size(); ++i) {
    const double next = cumulative + static_cast<double>(bins_[i]);
    if (next >= target && bins_[i] > 0) {
      const double within = (target - cumulative) / static_cast<double>(bins_[i]);
      return low_ + bin_width_ * static_cast<float>(static_cast<double>(i) + within);
    }
    cumulative = next;
  }
  return low_ + bin_width_ * static_cast<float>(bins_.size());
}

void Histogram::reset() noexcept {
  std::fill(bins_.begin(), bins_.end(), 0);
  count_ = 0;
}

// F0 in semitones re 27.5 Hz: 60 Hz is 13.5 st, 500 Hz 50.2 st; 0.05 st bins.
// Loudness and level in 0.1 dB bins over the useful range of speech.
SpeakerStatistics::SpeakerStatistics() : f0_st_(0.0f, 64.0f, 0.05f), loudness_db_(-100.0f, 10.0f, 0.1f),
                                         level_dbfs_(-100.0f, 10.0f, 0.1f) {}

void SpeakerStatistics::add(const HopFeatures& hop) noexcept {
  const std::int64_t hop_number = hops_++;
  if (hop.syllable) ++syllables_;
  if (!hop.vad) return;
  ++active_;
  // A short pause between two active hops is part of the turn.
  constexpr auto kBridgeHops = static_cast<std::int64_t>(kTurnPauseBridge_s * 100.0);
  const std::int64_t gap = last_active_hop_ < 0 ? 0 : hop_number - last_active_hop_ - 1;
  talk_hops_ += 1 + (gap <= kBridgeHops ? gap : 0);
  last_active_hop_ = hop_number;
  loudness_db_.add(hop.loudness_db);
  level_dbfs_.add(hop.level_dbfs);
  if (hop.voiced) {
    ++voiced_;
    f0_st_.add(hop.f0_semitones);
  }
}

SpeakerTotals SpeakerStatistics::totals() const noexcept {
  SpeakerTotals t;
  t.duration_s = static_cast<double>(hops_) * 0.01;
  t.talk_time_s = static_cast<double>(talk_hops_) * 0.01;
  t.speech_time_s = static_cast<double>(active_) * 0.01;
  t.voiced_time_s = static_cast<double>(voiced_) * 0.01;
  t.syllables = syllables_;
  if (t.speech_time_s >= 0.5) {
    t.articulation_rate_syl_per_s = static_cast<float>(static_cast<double>(syllables_) / t.speech_time_s);
  }
  if (f0_st_.count() > 0) {
    t.f0_median_st = f0_st_.quantile(0.5f);
    t.f0_median_hz = 27.5f * std::exp2(t.f0_median_st / 12.0f);
    t.f0_range_st = f0_st_.quantile(0.9f) - f0_st_.quantile(0.1f);
  }
  if (loudness_db_.count() > 0) {
    t.loudness_median_db = loudness_db_.quantile(0.5f);
    t.loudness_range_db = loudness_db_.quantile(0.9f) - loudness_db_.quantile(0.1f);
    t.level_median_dbfs = level_dbfs_.quantile(0.5f);
  }
  return t;
}

void SpeakerStatistics::reset() noexcept {
  hops_ = active_ = voiced_ = syllables_ = talk_hops_ = 0;
  last_active_hop_ = -1;
  f0_st_.reset();
  loudness_db_.reset();
  level_dbfs_.reset();
}

}  // namespace tw::features
