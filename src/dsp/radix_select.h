#pragma once
// The k-th smallest of a few hundred floats, exactly, without the branch
// mispredictions of a comparison-based selection.
//
// std::nth_element on the harmonic sieve's 81-bin dB spectrum (once on most voiced
// hops, for the frame's median level) cost about a microsecond: its partitions
// compare random values, and every other comparison is a mispredicted branch. A
// radix selection counts the keys' top byte, keeps the bucket that holds rank k,
// and repeats on the next byte: no data-dependent branches but the bucket scan, and
// about twice as fast on those spectra. It returns exactly the value nth_element
// puts at k (the keys order floats as operator< does; -0 sorts just below +0, which
// compare equal, so either is "the" value).

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tw::dsp {

/// The value at rank k (0-based) of `values` in ascending order, as
/// std::nth_element would place it. No NaNs. `scratch` needs values.size()
/// elements; values.size() <= 65535. Real-time safe.
inline float kth_smallest(std::span<const float> values, std::size_t k, std::span<std::uint32_t> scratch) noexcept {
  assert(k < values.size() && scratch.size() >= values.size() && values.size() <= 65535);
  // An unsigned key in the floats' order: negative floats have every bit
  // flipped (larger magnitude sorts lower), positive ones the sign bit set.
  std::size_t m = values.size();
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(values[i]);
    scratch[i] = (b & 0x80000000u) != 0 ? ~b : (b | 0x80000000u);
  }
  std::uint32_t* keys = scratch.data();
  for (int shift = 24; shift >= 0 && m > 1; shift -= 8) {
    std::uint16_t count[256] = {};
    for (std::size_t i = 0; i < m; ++i) ++count[(keys[i] >> shift) & 0xffu];
    std::uint32_t bucket = 0;
    while (k >= count[bucket]) k -= count[bucket++];
    // Keep only the bucket's keys (compacted in place, in order).
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint32_t key = keys[i];
      keys[kept] = key;
      kept += ((key >> shift) & 0xffu) == bucket ? 1 : 0;
    }
    m = kept;
  }
  // One key left, or several equal in all 32 bits: rank k among them is any.
  const std::uint32_t key = keys[m > 1 ? k : 0];
  return std::bit_cast<float>((key & 0x80000000u) != 0 ? (key & 0x7fffffffu) : ~key);
}

}  // namespace tw::dsp
