#pragma once
// Monotone delivery from natural speech, for test calls: the same words with the
// pitch held level and the loudness evened out.

#include <span>
#include <vector>

namespace tw::tools {

/// Resynthesizes speech by linear prediction (LPC order 12, 25 ms frames every
/// 10 ms, Levinson-Durbin): each frame's spectral envelope is kept, its
/// excitation replaced by a pulse train at the utterance's own median F0 where the
/// frame is voiced speech (tonewatch's pitch tracker and voice activity) and noise
/// where it is not, and, in speech, its
/// level pulled toward the utterance's median level by `compression` (3 keeps a
/// third of each frame's deviation in dB). The result has the voice's timbre and
/// words, a flat pitch contour and even loudness: monotone. Outside speech the
/// recording passes unchanged. Same length as `x`.
std::vector<float> monotone_voice(std::span<const float> x, int rate_hz, double compression = 3.0);

}  // namespace tw::tools
