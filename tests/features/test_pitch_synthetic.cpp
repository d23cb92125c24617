// Pitch accuracy on synthetic signals of known F0.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "features/feature_extractor.h"
#include "support/synth.h"

namespace {

struct PitchScore {
  std::size_t frames = 0, voiced = 0, gross = 0;
  double median_error = 0.0;  // relative
};

// Runs the full extractor and scores hops after the first 100 ms (frame warm-up).
// The pitch is searched on every hop: these steady tones start with the stream
// and never pause, so the noise floor is learned from the tone itself and the
// product's search gate (VoiceActivityConfig::pitch_search_snr_db, which spares
// the search where no voice can be speech) would skip them. What is measured
// here is the tracker's accuracy, not that gate.
PitchScore score(const std::vector<float>& x, double true_f0_hz) {
  tw::features::FeatureConfig config;
  config.vad.pitch_search_snr_db = -std::numeric_limits<float>::infinity();
  tw::features::FeatureExtractor extractor(config);
  std::vector<double> errors;
  PitchScore s;
  const auto on_hop = [&](const tw::features::HopFeatures& h) {
    if (h.time_s < 0.1 || h.time_s > static_cast<double>(x.size()) / 8000.0 - 0.03) return;
    ++s.frames;
    if (!h.voiced) return;
    ++s.voiced;
    const double error = std::abs(h.f0_hz - true_f0_hz) / true_f0_hz;
    if (error > 0.2) ++s.gross;
    errors.push_back(error);
  };
  extractor.process(x, on_hop);
  extractor.flush(on_hop);
  if (!errors.empty()) {
    std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
    s.median_error = errors[errors.size() / 2];
  }
  return s;
}

}  // namespace

TEST_CASE("pitch of sines and harmonic complexes in white noise", "[pitch][accuracy]") {
  const double f0s[] = {65.0, 80.0, 100.0, 130.0, 180.0, 240.0, 320.0, 420.0, 490.0};
  std::size_t total = 0, gross = 0, voiced = 0;
  double worst_median_error = 0.0;
  for (const double snr : {20.0, 10.0}) {
    for (const std::string kind : {"sine", "complex", "telephone"}) {
      for (const double f0 : f0s) {
        // A telephone line (300-3400 Hz) removes the fundamental of every voice below 300 Hz.
        if (kind == "sine" && f0 < 80.0) continue;
        std::vector<float> x = kind == "sine" ? tw::test::sine(f0, 0.1, 1.0) : tw::test::harmonic_complex(f0, -20.0, 1.0);
        if (kind == "telephone") tw::test::band_pass(x, 300.0, 3400.0);
        tw::test::add_white_noise(x, snr, static_cast<std::uint32_t>(f0));
        const PitchScore s = score(x, f0);
        INFO(kind << " f0=" << f0 << " Hz snr=" << snr << " dB: voiced " << s.voiced << "/" << s.frames << ", gross "
                  << s.gross << ", median error " << 100.0 * s.median_error << " %");
        CHECK(s.median_error <= 0.01);
        CHECK(s.gross <= s.voiced / 100);
        // Below 75 Hz the 40 ms frame holds fewer than three periods and some
        // frames fall under the voicing threshold; the pitch they do report is right.
        CHECK(s.voiced >= s.frames * (f0 < 75.0 ? 50 : 95) / 100);
        worst_median_error = std::max(worst_median_error, s.median_error);
        total += s.frames;
        gross += s.gross;
        voiced += s.voiced;
      }
    }
  }
  std::printf("synthetic pitch (sines, harmonic complexes, telephone band-pass; 20 and 10 dB SNR; 65-490 Hz): "
              "%zu frames, %zu voiced (%.2f %%), gross pitch error %.3f %%, worst per-signal median error %.3f %%\n",
              total, voiced, 100.0 * voiced / total, 100.0 * gross / std::max<std::size_t>(voiced, 1),
              100.0 * worst_median_error);
  CHECK(gross <= voiced / 100);
}

TEST_CASE("pitch of a speech-like voice on a telephone line is not an octave or a twelfth high", "[pitch][accuracy]") {
  // The telephone-band failure reproduced: a glottal source rolls off about
  // 12 dB per octave, so once the 300-3400 Hz band (4th-order Butterworth) has
  // removed the fundamental and the second harmonic of a low voice, the third
  // harmonic dominates and the autocorrelation dips as deeply at a third of the
  // period as at the period. Equal-amplitude complexes (the test above) do not
  // show it. A slow vibrato keeps it from being a perfectly stationary tone.
  const double f0s[] = {80.0, 90.0, 100.0, 115.0, 130.0, 150.0, 175.0, 200.0, 225.0, 250.0};
  // The vowel /u/ (Peterson & Barney 1952, male means: F1 300, F2 870, F3 2240 Hz;
  // bandwidths after Klatt 1980): its first formant sits at the band edge, on the
  // second or third harmonic of a low voice.
  const std::pair<double, double> kVowelFormants[] = {{300.0, 60.0}, {870.0, 90.0}, {2240.0, 120.0}};
  std::size_t total = 0, voiced = 0, gross = 0;
  for (const double snr : {30.0, 15.0}) {
    for (const double f0 : f0s) {
      std::vector<float> x = tw::test::tilted_harmonic_complex(f0, -12.0, -20.0, 1.5, 8000, 0.3, 5.0);
      for (const auto& [frequency_hz, bandwidth_hz] : kVowelFormants) tw::test::formant(x, frequency_hz, bandwidth_hz);
      tw::test::band_pass(x, 300.0, 3400.0);
      tw::test::set_level_dbfs(x, -20.0);
      tw::test::add_white_noise(x, snr, static_cast<std::uint32_t>(f0) + 7u);
      // Scored against the mean F0: the 0.3-semitone vibrato stays far inside
      // the 20 % gross-error bound.
      const PitchScore s = score(x, f0);
      INFO("f0=" << f0 << " Hz snr=" << snr << " dB: voiced " << s.voiced << "/" << s.frames << ", gross " << s.gross
                 << ", median error " << 100.0 * s.median_error << " %");
      CHECK(s.gross <= s.voiced / 50);
      CHECK(s.voiced >= s.frames * 90 / 100);
      CHECK(s.median_error <= 0.03);
      total += s.frames;
      voiced += s.voiced;
      gross += s.gross;
    }
  }
  std::printf("synthetic pitch, -12 dB/octave voice through 300-3400 Hz (80-250 Hz; 30 and 15 dB SNR): %zu frames, "
              "%zu voiced (%.2f %%), gross pitch error %.3f %%\n",
              total, voiced, 100.0 * voiced / total, 100.0 * gross / std::max<std::size_t>(voiced, 1));
  CHECK(gross <= voiced / 100);
}
