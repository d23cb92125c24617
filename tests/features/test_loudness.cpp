// Level and loudness calibration: dB re a full-scale sine (AES17) and the
// K-weighting of ITU-R BS.1770-4.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "features/loudness_meter.h"
#include "support/synth.h"

namespace {

using tw::features::HopFeatures;

constexpr double kFrameHalf_s = tw::dsp::kFrameSize40ms8kHz / 2.0 / tw::dsp::kAnalysisRateHz;

// Hops whose whole 40 ms frame lies inside [begin_s, end_s) of the signal
// (after warm-up: no zero padding, no transition inside the frame).
std::vector<HopFeatures> hops_inside(const std::vector<float>& x, double begin_s, double end_s) {
  tw::features::FeatureExtractor extractor;
  std::vector<HopFeatures> out;
  extractor.process(x, [&](const HopFeatures& h) {
    if (h.time_s - kFrameHalf_s >= begin_s - 1e-9 && h.time_s + kFrameHalf_s <= end_s + 1e-9) out.push_back(h);
  });
  return out;
}

double k_weighting_db(double frequency_hz) {
  return 10.0 * std::log10(tw::features::LoudnessMeter::k_weighting_power_gain(frequency_hz));
}

}  // namespace

TEST_CASE("a -20 dBFS 1 kHz sine reads -20 dB level and loudness on every hop", "[loudness]") {
  // dBFS re a full-scale sine (AES17): amplitude 0.1 is -20 dBFS. 1 kHz is where
  // K-weighting is normalized, so loudness reads the same.
  for (const double phase : {0.0, 1.0}) {
    const std::vector<float> x = tw::test::sine(1000.0, 0.1, 2.0, 8000, phase);
    const auto hops = hops_inside(x, 0.0, 2.0);
    REQUIRE(hops.size() >= 190);
    float min_level = 1e9f, max_level = -1e9f, min_loudness = 1e9f, max_loudness = -1e9f;
    for (const HopFeatures& h : hops) {
      INFO("hop " << h.hop_index << " at " << h.time_s << " s");
      CHECK(h.level_dbfs == Approx(-20.0).margin(0.2));
      CHECK(h.loudness_db == Approx(-20.0).margin(0.2));
      min_level = std::min(min_level, h.level_dbfs);
      max_level = std::max(max_level, h.level_dbfs);
      min_loudness = std::min(min_loudness, h.loudness_db);
      max_loudness = std::max(max_loudness, h.loudness_db);
    }
    std::printf("loudness: 1 kHz sine amplitude 0.1 (phase %.1f): level_dbfs %.3f..%.3f, loudness_db %.3f..%.3f over %zu hops\n",
                phase, min_level, max_level, min_loudness, max_loudness, hops.size());
  }
}

TEST_CASE("level off the bin grid and at other frequencies still reads the sine's level", "[loudness]") {
  // 1013 Hz and 437 Hz fall between FFT bins (25 Hz spacing): the Parseval
  // scaling of the Hann-windowed frame must not depend on where the tone lies.
  for (const double f : {437.0, 1013.0, 2999.0}) {
    const std::vector<float> x = tw::test::sine(f, 0.1, 1.0);
    const auto hops = hops_inside(x, 0.0, 1.0);
    REQUIRE(!hops.empty());
    for (const HopFeatures& h : hops) {
      INFO(f << " Hz, hop " << h.hop_index);
      CHECK(h.level_dbfs == Approx(-20.0).margin(0.2));
    }
  }
}

TEST_CASE("a 10 dB step in level reads as 10 dB", "[loudness]") {
  // 1 s at -20 dBFS, then 1 s at -10 dBFS (amplitude 0.1 -> 0.316), continuous phase.
  std::vector<float> x = tw::test::sine(1000.0, 1.0, 2.0);
  const double low = 0.1, high = 0.1 * std::pow(10.0, 10.0 / 20.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(x[i] * (i < 8000 ? low : high));
  const auto first = hops_inside(x, 0.0, 1.0);
  const auto second = hops_inside(x, 1.0, 2.0);
  REQUIRE(first.size() >= 90);
  REQUIRE(second.size() >= 90);
  for (const HopFeatures& a : first) {
    for (const HopFeatures& b : {second.front(), second[second.size() / 2], second.back()}) {
      CHECK(b.level_dbfs - a.level_dbfs == Approx(10.0).margin(0.2));
      CHECK(b.loudness_db - a.loudness_db == Approx(10.0).margin(0.2));
    }
  }
  std::printf("loudness: 10 dB step reads %.3f dB level, %.3f dB loudness\n",
              second[second.size() / 2].level_dbfs - first[first.size() / 2].level_dbfs,
              second[second.size() / 2].loudness_db - first[first.size() / 2].loudness_db);
}

TEST_CASE("K-weighting follows the BS.1770-4 filter response", "[loudness]") {
  // Truth: the response of the BS.1770-4 pre-filter (Table 1) and RLB filter
  // (Table 2) at 48 kHz, evaluated independently (Python, exact biquad response)
  // and expressed relative to 1 kHz. The K filter has +0.69 dB at 1 kHz itself
  // (the -0.691 in the standard's loudness formula cancels it), so the +4 dB
  // shelf shows as about +3.2 dB relative to 1 kHz.
  CHECK(tw::features::LoudnessMeter::k_weighting_power_gain(1000.0) == Approx(1.0).margin(1e-9));
  struct Point {
    double frequency_hz, relative_db;
  };
  const Point published[] = {{20.0, -13.973}, {50.0, -4.632}, {100.0, -1.831}, {500.0, -0.655},
                             {2000.0, 2.374}, {3500.0, 3.217}, {4000.0, 3.270}};
  for (const Point& p : published) {
    INFO(p.frequency_hz << " Hz");
    CHECK(k_weighting_db(p.frequency_hz) == Approx(p.relative_db).margin(0.05));
  }
  // The shelf: about +4 dB in absolute terms at 3.5 kHz (gain at 1 kHz is +0.691 dB).
  CHECK(k_weighting_db(3500.0) + 0.691 == Approx(4.0).margin(0.5));
  // The RLB high-pass removes rumble: strongly reduced at 20 Hz.
  CHECK(k_weighting_db(20.0) < -12.0);
  // Monotonic rise from 20 Hz to 4 kHz (high-pass, then shelf).
  for (double f = 20.0; f < 4000.0; f *= 1.1) {
    INFO(f << " Hz");
    CHECK(k_weighting_db(f * 1.1) > k_weighting_db(f));
  }
}

TEST_CASE("loudness applies the K-weighting to real tones", "[loudness]") {
  // End to end: loudness_db - level_dbfs of a steady tone equals the weighting
  // at its frequency (a tone on a bin centre, so all its power is near one bin).
  for (const double f : {100.0, 500.0, 2000.0, 3500.0}) {
    const std::vector<float> x = tw::test::sine(f, 0.1, 1.0);
    const auto hops = hops_inside(x, 0.0, 1.0);
    REQUIRE(!hops.empty());
    const HopFeatures& h = hops[hops.size() / 2];
    INFO(f << " Hz: level " << h.level_dbfs << ", loudness " << h.loudness_db);
    CHECK(h.loudness_db - h.level_dbfs == Approx(k_weighting_db(f)).margin(0.2));
  }
}

TEST_CASE("silence reads the floor / never NaN or -inf", "[loudness]") {
  const std::vector<float> zeros(8000, 0.0f);
  tw::features::FeatureExtractor extractor;
  std::size_t hops = 0;
  extractor.process(zeros, [&](const HopFeatures& h) {
    ++hops;
    INFO("hop " << h.hop_index);
    CHECK(h.level_dbfs == tw::features::kSilenceFloorDb);
    CHECK(h.loudness_db == tw::features::kSilenceFloorDb);
    CHECK(h.voice_band_db == tw::features::kSilenceFloorDb);
    for (const float v : {h.f0_hz, h.f0_semitones, h.voicing, h.hnr_db, h.level_dbfs, h.loudness_db, h.voice_band_db,
                          h.noise_floor_db, h.alpha_ratio_db, h.centroid_hz}) {
      CHECK(std::isfinite(v));
    }
    CHECK_FALSE(h.vad);
    CHECK_FALSE(h.voiced);
  });
  CHECK(hops >= 95);
  // And a tone after silence comes back at its level (no stuck state).
  std::vector<float> x(8000, 0.0f);
  const auto tone = tw::test::sine(1000.0, 0.1, 1.0);
  x.insert(x.end(), tone.begin(), tone.end());
  const auto loud = hops_inside(x, 1.0, 2.0);
  REQUIRE(!loud.empty());
  CHECK(loud.front().level_dbfs == Approx(-20.0).margin(0.2));
}
