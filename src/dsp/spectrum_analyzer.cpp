#include "dsp/spectrum_analyzer.h"

#include <stdexcept>

#include "dsp/window.h"

namespace tw::dsp {

SpectrumAnalyzer::SpectrumAnalyzer(std::size_t frame_samples, int sample_rate_hz)
    : sample_rate_hz_(sample_rate_hz),
      window_(make_hann_window(frame_samples)),
      window_energy_(dsp::window_energy(window_)),
      fft_(frame_samples, RealFft::Directions::forward_only),
      windowed_(frame_samples),
      spectrum_(frame_samples / 2 + 1),
      power_(frame_samples / 2 + 1) {
  if (sample_rate_hz <= 0) throw std::invalid_argument("SpectrumAnalyzer: sample_rate_hz must be > 0");
}

const AnalysisFrame& SpectrumAnalyzer::analyze(std::span<const float> frame, std::int64_t hop_index,
                                               std::size_t hop_samples) noexcept {
  const std::size_t n = window_.size();
  for (std::size_t i = 0; i < n; ++i) windowed_[i] = frame[i] * window_[i];
  fft_.forward(windowed_, spectrum_);
  for (std::size_t k = 0; k < power_.size(); ++k) {
    const float re = spectrum_[k].real();
    const float im = spectrum_[k].imag();
    power_[k] = re * re + im * im;
  }
  frame_.hop_index = hop_index;
  frame_.centre_time_s = static_cast<double>(hop_index * static_cast<std::int64_t>(hop_samples)) / sample_rate_hz_;
  frame_.samples = frame;
  frame_.spectrum = spectrum_;
  frame_.power = power_;
  return frame_;
}

}  // namespace tw::dsp
