#include "dsp/spectrum_analyzer.h"

#include <stdexcept>

#include "dsp/window.h"

namespace tw::dsp {

SpectrumAnalyzer::SpectrumAnalyzer(std::size_t frame_samples, int sample_rate_hz)
    : sample_rate_hz_(sample_rate_hz),
      window_(make_hann_window(frame_samples)),
      window_energy_(dsp::window_energy(window_)),
      fft_(frame_samples, RealFft::Directions::forward_only) {
  if (sample_rate_hz <= 0) throw std::invalid_argument("SpectrumAnalyzer: sample_rate_hz must be > 0");
  Windowed::reserve(frame_samples);
  Spectrum::reserve(bins());
  Power::reserve(bins());
}

const AnalysisFrame& SpectrumAnalyzer::analyze(std::span<const float> frame, std::int64_t hop_index,
                                               std::size_t hop_samples) noexcept {
  const std::size_t n = window_.size();
  const std::span<float> windowed = Windowed::get(n);
  const std::span<std::complex<float>> spectrum = Spectrum::get(bins());
  const std::span<float> power = Power::get(bins());
  for (std::size_t i = 0; i < n; ++i) windowed[i] = frame[i] * window_[i];
  fft_.forward(windowed, spectrum);
  for (std::size_t k = 0; k < power.size(); ++k) {
    const float re = spectrum[k].real();
    const float im = spectrum[k].imag();
    power[k] = re * re + im * im;
  }
  frame_.hop_index = hop_index;
  frame_.centre_time_s = static_cast<double>(hop_index * static_cast<std::int64_t>(hop_samples)) / sample_rate_hz_;
  frame_.samples = frame;
  frame_.spectrum = spectrum;
  frame_.power = power;
  return frame_;
}

}  // namespace tw::dsp
