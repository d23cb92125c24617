#include "features/pitch_path.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tw::features {

PitchPath::PitchPath(float octave_jump_cost, std::size_t latency_hops)
    : octave_jump_cost_(octave_jump_cost), hops_(latency_hops + 1) {}

std::size_t PitchPath::evaluate(std::span<const PitchCandidate> candidates) noexcept {
  // Path cost of candidate j: its local cost plus the cheapest way to reach it
  // from one of the previous hop's candidates, a step costing octave_jump_cost
  // per octave (Boersma 1993, sect. 4; Praat's default octave-jump cost is
  // 0.35 against local strengths in [0, 1]). After an unvoiced hop the path
  // starts afresh: Boersma's voiced-unvoiced transitions carry no pitch.
  const Hop& previous = at_age(0);
  const bool continues = committed_ > 0 && previous.count > 0;
  pending_.count = std::min(candidates.size(), kMaxCandidates);
  std::size_t best = 0;
  for (std::size_t j = 0; j < pending_.count; ++j) {
    const float log2_period = candidates[j].log2_period;
    float reach = 0.0f;
    std::int8_t from = -1;
    if (continues) {
      reach = std::numeric_limits<float>::max();
      for (std::size_t i = 0; i < previous.count; ++i) {
        const float cost = previous.path_cost[i] + octave_jump_cost_ * std::abs(log2_period - previous.log2_period[i]);
        if (cost < reach) {
          reach = cost;
          from = static_cast<std::int8_t>(i);
        }
      }
    }
    pending_.log2_period[j] = log2_period;
    pending_.path_cost[j] = candidates[j].cost + reach;
    pending_.from[j] = from;
    if (pending_.path_cost[j] < pending_.path_cost[best]) best = j;
  }
  return best;
}

void PitchPath::commit(bool voiced) noexcept {
  newest_ = (newest_ + 1) % hops_.size();
  committed_ = std::min(committed_ + 1, hops_.size());
  Hop& hop = hops_[newest_];
  if (!voiced || pending_.count == 0) {
    hop.count = 0;
    pending_.count = 0;
    return;
  }
  // Only differences between paths matter: the cheapest is kept at 0 so the
  // costs stay bounded over a long call.
  hop = pending_;
  const float lowest = *std::min_element(hop.path_cost.begin(), hop.path_cost.begin() + hop.count);
  for (std::size_t i = 0; i < hop.count; ++i) hop.path_cost[i] -= lowest;
  pending_.count = 0;
}

int PitchPath::decision(std::size_t age) const noexcept {
  if (age >= committed_ || at_age(age).count == 0) return -1;
  // The newest hop of its voiced stretch, then back along the cheapest path.
  std::size_t end = age;
  while (end > 0 && at_age(end - 1).count > 0) --end;
  const Hop& last = at_age(end);
  std::size_t j = static_cast<std::size_t>(
      std::min_element(last.path_cost.begin(), last.path_cost.begin() + last.count) - last.path_cost.begin());
  for (std::size_t a = end; a < age; ++a) j = static_cast<std::size_t>(at_age(a).from[j]);
  return static_cast<int>(j);
}

void PitchPath::reset() noexcept {
  for (Hop& hop : hops_) hop.count = 0;
  newest_ = 0;
  committed_ = 0;
  pending_.count = 0;
}

}  // namespace tw::features
