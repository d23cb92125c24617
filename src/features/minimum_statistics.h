#pragma once
// A noise floor by minimum statistics (Martin 2001): the lowest level over a
// sliding window, kept in sub-blocks so each update costs O(blocks).

#include <array>
#include <cstddef>

namespace tw::features {

class MinimumStatistics {
 public:
  static constexpr std::size_t kBlocks = 12;  ///< the window in sub-blocks

  /// Throws std::invalid_argument if window_hops < kBlocks.
  explicit MinimumStatistics(std::size_t window_hops);
  /// Adds one level (dB); returns the lowest level over the last window,
  /// including this one. Real-time safe.
  float update(float level_db) noexcept;
  void reset() noexcept;

 private:
  std::size_t block_hops_;
  std::array<float, kBlocks> block_minimum_{};
  std::size_t blocks_seen_ = 0;
  std::size_t hops_in_block_ = 0;
  float current_minimum_ = 0.0f;
  bool started_ = false;
};

/// Hops at the start of a stream whose analysis frame reaches back before
/// sample 0 (zero-padded, so they read low and must not set a noise floor).
std::size_t zero_padded_hops(std::size_t frame_samples, std::size_t hop_samples) noexcept;

}  // namespace tw::features
