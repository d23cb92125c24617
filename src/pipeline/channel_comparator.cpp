#include "pipeline/channel_comparator.h"

#include <algorithm>

namespace tw::pipeline {

ChannelComparator::ChannelComparator(int rate_hz)
    : decision_frames_(static_cast<std::int64_t>(kDecisionS * rate_hz)), rate_hz_(rate_hz) {}

void ChannelComparator::reset() noexcept {
  frames_ = 0;
  sum_ab_ = sum_aa_ = sum_bb_ = 0.0;
  check_ = {};
}

void ChannelComparator::add(std::span<const float> first, std::span<const float> second) noexcept {
  if (check_.decided) return;
  const std::size_t n =
      std::min<std::size_t>(std::min(first.size(), second.size()), static_cast<std::size_t>(decision_frames_ - frames_));
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::isfinite(first[i]) ? first[i] : 0.0;
    const double b = std::isfinite(second[i]) ? second[i] : 0.0;
    sum_ab_ += a * b;
    sum_aa_ += a * a;
    sum_bb_ += b * b;
  }
  frames_ += static_cast<std::int64_t>(n);
  if (frames_ < decision_frames_) return;
  // Energy-weighted, so speech dominates when there is any; with only line noise,
  // one noise copied twice still correlates fully and two lines' noises do not.
  check_.decided = true;
  check_.decided_at_s = static_cast<double>(decision_frames_) / rate_hz_;
  if (sum_aa_ > 0.0 && sum_bb_ > 0.0) {
    check_.correlation = static_cast<float>(sum_ab_ / std::sqrt(sum_aa_ * sum_bb_));
    check_.level_difference_db = static_cast<float>(10.0 * std::log10(sum_aa_ / sum_bb_));
    check_.identical = check_.correlation >= kIdenticalCorrelation &&
                       std::fabs(check_.level_difference_db) < kMaxLevelDifferenceDb;
  }
}

}  // namespace tw::pipeline
