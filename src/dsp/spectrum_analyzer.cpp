#include "dsp/spectrum_analyzer.h"

#include <cassert>
#include <stdexcept>

#include "dsp/window.h"

namespace tw::dsp {

SpectrumAnalyzer::SpectrumAnalyzer(std::size_t frame_samples, int sample_rate_hz)
    : sample_rate_hz_(sample_rate_hz),
      window_(make_hann_window(frame_samples)),
      window_energy_(dsp::window_energy(window_)),
      fft_(frame_samples, RealFft4::Directions::forward_only) {
  if (sample_rate_hz <= 0) throw std::invalid_argument("SpectrumAnalyzer: sample_rate_hz must be > 0");
  Windowed::reserve(frame_samples);
  Spectrum::reserve(2 * bins());
  Power::reserve(bins());
  LanePower::reserve(bins());
}

const AnalysisFrame& SpectrumAnalyzer::analyze(std::span<const float> frame, std::int64_t hop_index,
                                               std::size_t hop_samples) noexcept {
  const std::span<float> power = Power::get(bins());
  const float* const frames[1] = {frame.data()};
  float* const powers[1] = {power.data()};
  power_spectra(frames, powers);
  frame_.hop_index = hop_index;
  frame_.centre_time_s = static_cast<double>(hop_index * static_cast<std::int64_t>(hop_samples)) / sample_rate_hz_;
  frame_.samples = frame;
  frame_.power = power;
  return frame_;
}

void SpectrumAnalyzer::power_spectra(std::span<const float* const> frames, std::span<float* const> powers) const noexcept {
  constexpr std::size_t kLanes = RealFft4::kLanes;
  assert(frames.size() == powers.size() && frames.size() <= kLanes);
  const std::size_t n = window_.size();
  const std::size_t bins = this->bins();
  const std::span<Lanes4> windowed = Windowed::get(n);
  const std::span<Lanes4> spectrum = Spectrum::get(2 * bins);
  interleave_scaled(frames, window_.data(), windowed);
  fft_.forward(windowed, spectrum);
  // |X_k|^2 of the four lanes at once (the real parts of bin k at spectrum[2k], the
  // imaginary at 2k + 1), then back to a spectrum per frame.
  const std::span<Lanes4> power = LanePower::get(bins);
  for (std::size_t k = 0; k < bins; ++k) {
    for (std::size_t j = 0; j < kLanes; ++j) {
      const float re = spectrum[2 * k].lane[j];
      const float im = spectrum[2 * k + 1].lane[j];
      power[k].lane[j] = re * re + im * im;
    }
  }
  deinterleave(power, powers);
}

}  // namespace tw::dsp
