#include "features/window_summary.h"

#include <algorithm>
#include <stdexcept>

namespace tw::features {

Spread spread_in_place(float* values, std::size_t n) noexcept {
  // The median first; then p10 lies in the lower part and p90 in the upper part
  // (type 7 positions, as quantile_in_place), each found by a smaller search.
  Spread s;
  s.median = quantile_in_place(values, n, 0.5f);
  const std::size_t mid = static_cast<std::size_t>(0.5f * static_cast<float>(n - 1));
  // Positions (n-1) q; the lower search needs elements [0, mid], the upper [mid, n).
  const float p10_position = 0.1f * static_cast<float>(n - 1);
  const float p90_position = 0.9f * static_cast<float>(n - 1);
  s.p10 = quantile_in_place(values, mid + 1, mid > 0 ? p10_position / static_cast<float>(mid) : 0.0f);
  const std::size_t upper = n - mid;
  s.p90 = quantile_in_place(values + mid, upper,
                            upper > 1 ? (p90_position - static_cast<float>(mid)) / static_cast<float>(upper - 1) : 0.0f);
  return s;
}

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
  scratch_.resize(config.window_hops);
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

void WindowSummarizer::skip(std::int64_t hops) noexcept {
  if (hops <= 0) return;
  const Slot silent{0.0f, 0.0f, kSilenceFloorDb, kSilenceFloorDb, 0.0f, 0.0f, 0.0f, false, false, false};
  const auto written = static_cast<std::size_t>(std::min<std::int64_t>(hops, static_cast<std::int64_t>(ring_.size())));
  for (std::size_t i = 0; i < written; ++i) {
    ring_[next_] = silent;
    next_ = (next_ + 1) % ring_.size();
  }
  count_ = std::min(count_ + written, ring_.size());
  hops_total_ += hops;
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
  s.voiced_s = static_cast<float>(voiced) * 0.01f;
  std::size_t new_active = 0;
  for (std::size_t i = count_ - std::min(count_, config_.period_hops); i < count_; ++i) {
    new_active += slot(i).vad ? 1 : 0;
    s.new_syllables += slot(i).syllable ? 1 : 0;
  }
  s.new_speech_s = static_cast<float>(new_active) * 0.01f;
  if (active > 0) {
    s.pause_s = static_cast<float>(last_active - first_active + 1 - active) * 0.01f;
    s.voiced_fraction = static_cast<float>(voiced) / static_cast<float>(active);
  }
  if (s.speech_s >= 0.5f) s.speaking_rate_syl_per_s = static_cast<float>(s.syllables) / s.speech_s;

  // Each statistic is gathered into the one scratch buffer in turn and its
  // quantiles taken there: a pass over 300 slots per statistic once a second is
  // nothing, and one buffer instead of seven saves 7 KiB per channel, which a
  // server holding a thousand calls feels. p10 and p90 are searched only on
  // the side of the median they lie on.
  float* values = scratch_.data();
  auto gather = [&](float Slot::*field, bool voiced_only) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      const Slot& h = slot(i);
      if (h.vad && (h.voiced || !voiced_only)) values[n++] = h.*field;
    }
    return n;
  };
  if (active > 0) {
    const Spread l = spread_in_place(values, gather(&Slot::loudness_db, false));
    s.loudness_median_db = l.median;
    s.loudness_range_db = l.p90 - l.p10;
    s.level_median_dbfs = quantile_in_place(values, gather(&Slot::level_dbfs, false), 0.5f);
    s.centroid_hz = quantile_in_place(values, gather(&Slot::centroid_hz, false), 0.5f);
  }
  if (voiced >= config_.min_voiced_hops) {
    // The level of a voice is read in its voiced hops, where vocal effort shows
    // (as the alpha ratio below): the median of every active hop sank with the
    // unvoiced and trailing hops a loud, clipped delivery has more of, and an agent
    // raising their voice by 8 dB read 0-2 dB louder (issue 27).
    s.loudness_median_db = quantile_in_place(values, gather(&Slot::loudness_db, true), 0.5f);
    const Spread f = spread_in_place(values, gather(&Slot::f0_st, true));
    s.f0_median_st = f.median;
    s.f0_range_st = f.p90 - f.p10;
    s.f0_median_hz = quantile_in_place(values, gather(&Slot::f0_hz, true), 0.5f);
    s.alpha_ratio_db = quantile_in_place(values, gather(&Slot::alpha_ratio_db, true), 0.5f);
    s.hnr_db = quantile_in_place(values, gather(&Slot::hnr_db, true), 0.5f);
  }
  summary_ = s;
}

}  // namespace tw::features
