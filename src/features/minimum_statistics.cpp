#include "features/minimum_statistics.h"

#include <algorithm>
#include <stdexcept>

namespace tw::features {

MinimumStatistics::MinimumStatistics(std::size_t window_hops) : block_hops_(window_hops / kBlocks) {
  if (window_hops < kBlocks) throw std::invalid_argument("MinimumStatistics: the window must span at least 12 hops");
}

void MinimumStatistics::reset() noexcept {
  block_minimum_.fill(0.0f);
  blocks_seen_ = 0;
  hops_in_block_ = 0;
  current_minimum_ = 0.0f;
  started_ = false;
}

float MinimumStatistics::update(float level_db) noexcept {
  if (!started_) {
    current_minimum_ = level_db;
    started_ = true;
  }
  current_minimum_ = std::min(current_minimum_, level_db);
  float floor_db = current_minimum_;
  const std::size_t completed = std::min(blocks_seen_, kBlocks);
  for (std::size_t i = 0; i < completed; ++i) floor_db = std::min(floor_db, block_minimum_[i]);
  if (++hops_in_block_ == block_hops_) {
    block_minimum_[blocks_seen_ % kBlocks] = current_minimum_;
    ++blocks_seen_;
    hops_in_block_ = 0;
    current_minimum_ = level_db;
  }
  return floor_db;
}

std::size_t zero_padded_hops(std::size_t frame_samples, std::size_t hop_samples) noexcept {
  // Hop n is centred on sample n * hop; its frame starts at n * hop - frame / 2.
  return hop_samples == 0 ? 0 : (frame_samples / 2 + hop_samples - 1) / hop_samples;
}

}  // namespace tw::features
