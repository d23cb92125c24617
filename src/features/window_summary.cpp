#include "features/window_summary.h"

#include <algorithm>
#include <stdexcept>

namespace tw::features {

float quantile_in_place(float* values, std::size_t n, float q) noexcept {
  if (n == 0) return kMissing;
  // Linear interpolation between order statistics (type 7 of Hyndman & Fan).
  const float position = q * static_cast<float>(n - 1);
  const auto lower = static_cast<std::size_t>(position);
  std::nth_element(values, values + lower, values + n);
  const float low = values[lower];
  if (lower + 1 >= n) return low;
  const float high = *std::min_element(values + lower + 1, values + n);
  return low + (high - low) * (position - static_cast<float>(lower));
}

WindowSummarizer::WindowSummarizer(const SummaryConfig& config) : config_(config) {
  if (config.window_hops == 0) throw std::invalid_argument("SummaryConfig: window_hops must be > 0");
  if (config.period_hops == 0) throw std::invalid_argument("SummaryConfig: period_hops must be > 0");
  if (config.period_hops > config.window_hops) {
    throw std::invalid_argument("SummaryConfig: period_hops must not exceed window_hops");
  }
  ring_.resize(config.window_hops);
  scratch_a_.resize(config.window_hops);
  scratch_b_.resize(config.window_hops);
}

void WindowSummarizer::reset() noexcept {
  count_ = 0;
  next_ = 0;
  hops_total_ = 0;
  summary_ = {};
}

bool WindowSummarizer::push(const HopFeatures& hop) noexcept {
  ring_[next_] = Slot{hop.f0_hz,        hop.f0_semitones, hop.loudness_db, hop.level_dbfs, hop.alpha_ratio_db,
                      hop.centroid_hz,  hop.hnr_db,       hop.vad,         hop.voiced,     hop.syllable};
  next_ = (next_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
  ++hops_total_;
  if (hops_total_ % static_cast<std::int64_t>(config_.period_hops) != 0) return false;
  summarize(hop.hop_index);
  return true;
}

void WindowSummarizer::summarize(std::int64_t end_hop) noexcept {
  WindowSummary s;
  s.end_hop = end_hop;
  s.end_time_s = static_cast<double>(end_hop + 1) * 0.01;
  s.window_s = static_cast<float>(count_) * 0.01f;

  // Oldest to newest.
  const std::size_t start = (next_ + ring_.size() - count_) % ring_.size();
  auto slot = [&](std::size_t i) -> const Slot& { return ring_[(start + i) % ring_.size()]; };

  std::size_t active = 0, voiced = 0, first_active = count_, last_active = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    const Slot& h = slot(i);
    if (h.syllable) ++s.syllables;
    if (!h.vad) continue;
    ++active;
    if (h.voiced) ++voiced;
    first_active = std::min(first_active, i);
    last_active = i;
  }
  s.speech_s = static_cast<float>(active) * 0.01f;
  if (active > 0) {
    s.pause_s = static_cast<float>(last_active - first_active + 1 - active) * 0.01f;
    s.voiced_fraction = static_cast<float>(voiced) / static_cast<float>(active);
  }
  if (s.speech_s >= 0.5f) s.speaking_rate_syl_per_s = static_cast<float>(s.syllables) / s.speech_s;

  // Active-hop loudness, level and centroid.
  if (active > 0) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slot(i).vad) scratch_a_[n++] = slot(i).loudness_db;
    }
    s.loudness_median_db = quantile_in_place(scratch_a_.data(), n, 0.5f);
    s.loudness_range_db = quantile_in_place(scratch_a_.data(), n, 0.9f) - quantile_in_place(scratch_a_.data(), n, 0.1f);
    n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slot(i).vad) scratch_a_[n++] = slot(i).level_dbfs;
    }
    s.level_median_dbfs = quantile_in_place(scratch_a_.data(), n, 0.5f);
    n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slot(i).vad) scratch_a_[n++] = slot(i).centroid_hz;
    }
    s.centroid_hz = quantile_in_place(scratch_a_.data(), n, 0.5f);
  }

  // Voiced-hop pitch, alpha ratio and HNR.
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    const Slot& h = slot(i);
    if (h.vad && h.voiced) {
      scratch_a_[n] = h.f0_st;
      scratch_b_[n] = h.f0_hz;
      ++n;
    }
  }
  if (n >= config_.min_voiced_hops) {
    s.f0_median_st = quantile_in_place(scratch_a_.data(), n, 0.5f);
    s.f0_range_st = quantile_in_place(scratch_a_.data(), n, 0.9f) - quantile_in_place(scratch_a_.data(), n, 0.1f);
    s.f0_median_hz = quantile_in_place(scratch_b_.data(), n, 0.5f);
    n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slot(i).vad && slot(i).voiced) scratch_a_[n++] = slot(i).alpha_ratio_db;
    }
    s.alpha_ratio_db = quantile_in_place(scratch_a_.data(), n, 0.5f);
    n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slot(i).vad && slot(i).voiced) scratch_a_[n++] = slot(i).hnr_db;
    }
    s.hnr_db = quantile_in_place(scratch_a_.data(), n, 0.5f);
  }
  summary_ = s;
}

}  // namespace tw::features
