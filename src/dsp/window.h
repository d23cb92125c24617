#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace tw::dsp {

/// Periodic Hann window of `size` samples (the DFT-even form, so overlapping
/// frames at hop size/4 sum to a constant).
std::vector<float> make_hann_window(std::size_t size);

/// Sum of squared window samples: converts windowed-frame energy to mean square.
double window_energy(std::span<const float> window) noexcept;

}  // namespace tw::dsp
