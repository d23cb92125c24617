#include "tools/monotone_voice.h"

#include <algorithm>
#include <array>
#include <vector>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"

namespace tw::tools {
namespace {

constexpr int kOrder = 12;           // 8 kHz: two poles per kHz plus four for the glottis and radiation (Markel & Gray 1976)
constexpr std::size_t kFrame = 200;  // 25 ms
constexpr std::size_t kHop = dsp::kHopSize10ms8kHz;

// Levinson-Durbin recursion on autocorrelation r[0..p]: A(z) = 1 + sum a_k z^-k,
// returns the prediction error power (in r's units).
double levinson(const std::array<double, kOrder + 1>& r, std::array<double, kOrder + 1>& a) {
  a.fill(0.0);
  a[0] = 1.0;
  double error = r[0];
  if (error <= 0.0) return 0.0;
  for (int i = 1; i <= kOrder; ++i) {
    double acc = r[static_cast<std::size_t>(i)];
    for (int j = 1; j < i; ++j) acc += a[static_cast<std::size_t>(j)] * r[static_cast<std::size_t>(i - j)];
    const double k = -acc / error;
    std::array<double, kOrder + 1> previous = a;
    for (int j = 1; j < i; ++j) a[static_cast<std::size_t>(j)] = previous[static_cast<std::size_t>(j)] + k * previous[static_cast<std::size_t>(i - j)];
    a[static_cast<std::size_t>(i)] = k;
    error *= 1.0 - k * k;
    if (error <= 0.0) return 0.0;
  }
  return error;
}

}  // namespace

std::vector<float> monotone_voice(std::span<const float> x, int rate_hz, double compression) {
  if (rate_hz != dsp::kAnalysisRateHz) throw std::invalid_argument("monotone_voice: needs 8 kHz audio");
  if (!(compression >= 1.0)) throw std::invalid_argument("monotone_voice: compression must be >= 1");
  // Voicing and F0 per 10 ms hop from the product's own feature code, with the
  // pitch searched on every hop above the absolute floor: the stimulus must not
  // move with the product's cost-saving search gate (pitch_search_snr_db), or a
  // change to that gate would change the test calls it is judged on.
  std::vector<features::HopFeatures> hops;
  features::FeatureConfig config;
  config.vad.pitch_search_snr_db = -std::numeric_limits<float>::infinity();
  features::FeatureExtractor extractor(config);
  extractor.process(x, [&](const features::HopFeatures& h) { hops.push_back(h); });
  const std::vector<float> tail(kFrame, 0.0f);
  extractor.process(tail, [&](const features::HopFeatures& h) { hops.push_back(h); });
  // Per hop: the LPC envelope, the residual power and the frame level.
  std::vector<float> window(kFrame);
  double window_energy = 0.0;
  for (std::size_t i = 0; i < kFrame; ++i) {
    window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (i + 0.5) / kFrame));
    window_energy += static_cast<double>(window[i]) * window[i];
  }
  const std::size_t n_hops = x.size() / kHop + 1;
  std::vector<std::array<double, kOrder + 1>> coefficients(n_hops);
  std::vector<double> residual_power(n_hops), level_db(n_hops);
  std::vector<double> frame(kFrame);
  for (std::size_t n = 0; n < n_hops; ++n) {
    const auto centre = static_cast<std::ptrdiff_t>(n * kHop);
    for (std::size_t i = 0; i < kFrame; ++i) {
      const std::ptrdiff_t t = centre - static_cast<std::ptrdiff_t>(kFrame / 2) + static_cast<std::ptrdiff_t>(i);
      frame[i] = t >= 0 && t < static_cast<std::ptrdiff_t>(x.size()) ? window[i] * x[static_cast<std::size_t>(t)] : 0.0;
    }
    std::array<double, kOrder + 1> r{};
    for (int k = 0; k <= kOrder; ++k) {
      for (std::size_t i = static_cast<std::size_t>(k); i < kFrame; ++i) r[static_cast<std::size_t>(k)] += frame[i] * frame[i - static_cast<std::size_t>(k)];
    }
    r[0] *= 1.0 + 1e-4;  // a -40 dB white-noise floor keeps the recursion stable
    residual_power[n] = levinson(r, coefficients[n]) / window_energy;
    level_db[n] = 10.0 * std::log10(r[0] / window_energy + 1e-20);
  }
  // Speech: frames within 30 dB of the utterance's loud frames (its 95th
  // percentile level; EmoDB's studio recordings keep their noise 40 dB or more
  // below). Decided by level, not by the product's voice activity, whose hangover
  // carries noise and whose floor needs pauses to learn from. The pitch tracker
  // also finds "periods" in mains hum between words (at its 60 Hz floor): no part
  // of the voice.
  std::vector<double> sorted_levels(level_db);
  std::sort(sorted_levels.begin(), sorted_levels.end());
  const double loud_db = sorted_levels[std::min(sorted_levels.size() - 1, sorted_levels.size() * 95 / 100)];
  auto speech = [&](std::size_t n) { return n < n_hops && level_db[n] >= loud_db - 30.0; };
  auto voiced_speech = [&](std::size_t n) { return n < hops.size() && hops[n].voiced && speech(n); };
  std::vector<float> f0;
  for (std::size_t n = 0; n < hops.size(); ++n) {
    if (voiced_speech(n)) f0.push_back(hops[n].f0_hz);
  }
  if (f0.empty()) return std::vector<float>(x.begin(), x.end());
  std::nth_element(f0.begin(), f0.begin() + static_cast<std::ptrdiff_t>(f0.size() / 2), f0.end());
  const double f0_hz = f0[f0.size() / 2];

  // Loudness evened out around the median level of the voiced frames; frames more
  // than 15 dB below it (weak consonants) get the lift of the frame at 15 dB
  // below, tapering to none 10 dB further down, so the level order is kept.
  std::vector<double> voiced_levels;
  for (std::size_t n = 0; n < n_hops; ++n) {
    if (voiced_speech(n)) voiced_levels.push_back(level_db[n]);
  }
  if (voiced_levels.empty()) return std::vector<float>(x.begin(), x.end());
  std::nth_element(voiced_levels.begin(), voiced_levels.begin() + static_cast<std::ptrdiff_t>(voiced_levels.size() / 2),
                   voiced_levels.end());
  const double median_db = voiced_levels[voiced_levels.size() / 2];
  auto compressed = [&](double l) {
    const double knee = median_db - 15.0;
    const double knee_lift = 15.0 * (1.0 - 1.0 / compression);
    return l >= knee ? median_db + (l - median_db) / compression
                     : l + knee_lift * std::max(0.0, 1.0 - (knee - l) / 10.0);
  };

  // 1 in speech hops, 0 outside, linear across the hop between them.
  auto speech_weight = [&](std::size_t t) {
    const std::size_t n = t / kHop;
    const double a = speech(n) ? 1.0 : 0.0, b = speech(n + 1) ? 1.0 : 0.0;
    const double frac = static_cast<double>(t - n * kHop) / static_cast<double>(kHop);
    return a + (b - a) * frac;
  };
  std::vector<float> y(x.size(), 0.0f);
  std::array<double, kOrder> history{};  // y[t-1], y[t-2], ...
  std::mt19937 rng(12345);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double period = rate_hz / f0_hz;
  double phase = 0.0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    // The hop whose frame is centred nearest this sample.
    const std::size_t n = std::min(n_hops - 1, (t + kHop / 2) / kHop);
    const bool voiced = voiced_speech(n);
    double excitation;
    if (voiced) {
      phase += 1.0;
      excitation = 0.0;
      if (phase >= period) {
        phase -= period;
        excitation = std::sqrt(period);  // unit power for a pulse train of this period
      }
    } else {
      excitation = noise(rng);
    }
    const double change_db = speech(n) ? compressed(level_db[n]) - level_db[n] : 0.0;
    const double gain = std::sqrt(residual_power[n]) * std::pow(10.0, change_db / 20.0);
    double out = gain * excitation;
    for (int k = 1; k <= kOrder; ++k) out -= coefficients[n][static_cast<std::size_t>(k)] * history[static_cast<std::size_t>(k - 1)];
    for (int k = kOrder - 1; k > 0; --k) history[static_cast<std::size_t>(k)] = history[static_cast<std::size_t>(k - 1)];
    history[0] = out;
    // Outside speech the recording itself (its room and line noise, untouched):
    // an LPC envelope of noise, re-excited, spreads mains hum into the voice band,
    // where the voice activity detector would take it for speech. Crossfaded over
    // a hop either side of speech.
    const double here = speech_weight(t);
    y[t] = static_cast<float>(here * out + (1.0 - here) * x[t]);
  }
  return y;
}

}  // namespace tw::tools
