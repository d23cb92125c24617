// The telephone line conditions the evaluation runs calls under, on signals of
// known truth: the steep band's response, G.711 and GSM round trips, the AGC's
// range, packet loss, and monotone resynthesis.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "features/feature_extractor.h"
#include "support/synth.h"
#include "tools/line_conditions.h"
#include "tools/monotone_voice.h"

using tw::tools::Codec;
using tw::tools::LineCondition;

namespace {

constexpr int kRate = 8000;

double rms_db(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double sum = 0.0;
  for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(x[i]) * x[i];
  return 10.0 * std::log10(sum / static_cast<double>(to - from) + 1e-30) + 3.0103;
}

// Signal-to-error ratio of y against x, in dB.
double snr_db(const std::vector<float>& x, const std::vector<float>& y) {
  double signal = 0.0, error = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    signal += static_cast<double>(x[i]) * x[i];
    error += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
  }
  return 10.0 * std::log10(signal / error);
}

}  // namespace

TEST_CASE("the steep telephone band passes 300-3400 Hz flat and stops outside", "[tools][line]") {
  auto gain_db = [](double hz) {
    const std::vector<float> x = tw::test::sine(hz, 0.1, 1.0, kRate);
    const std::vector<float> y = tw::tools::steep_telephone_band(x, kRate);
    return rms_db(y, 2000, 6000) - rms_db(x, 2000, 6000);  // away from the edges
  };
  for (double hz : {400.0, 1000.0, 2000.0, 3300.0}) {
    INFO(hz << " Hz");
    CHECK(std::fabs(gain_db(hz)) < 0.1);
  }
  for (double hz : {100.0, 200.0, 3550.0, 3800.0}) {
    INFO(hz << " Hz");
    CHECK(gain_db(hz) < -60.0);
  }
  // Linear phase with the delay removed: a 1 kHz sine comes out in step with itself.
  const std::vector<float> x = tw::test::sine(1000.0, 0.1, 1.0, kRate);
  const std::vector<float> y = tw::tools::steep_telephone_band(x, kRate);
  std::vector<float> mid_x(x.begin() + 2000, x.begin() + 6000), mid_y(y.begin() + 2000, y.begin() + 6000);
  CHECK(snr_db(mid_x, mid_y) > 40.0);
}

TEST_CASE("codec round trips: G.711 at its 8-bit accuracy / GSM full rate keeps the waveform's timing", "[tools][line]") {
  // A harmonic vowel-like tone at -26 dBFS, the nominal speech level.
  const std::vector<float> voice = tw::test::harmonic_complex(140.0, -26.0, 2.0, kRate);
  const double ulaw = snr_db(voice, tw::tools::codec_round_trip(voice, kRate, Codec::ulaw));
  const double alaw = snr_db(voice, tw::tools::codec_round_trip(voice, kRate, Codec::alaw));
  const std::vector<float> gsm = tw::tools::codec_round_trip(voice, kRate, Codec::gsm610);
  REQUIRE(gsm.size() == voice.size());
  // Correlation at lag 0 against lags up to 20 ms: a codec delay would move the peak.
  auto correlation = [&](int lag) {
    double xy = 0.0, xx = 0.0, yy = 0.0;
    for (std::size_t i = 400; i + 400 < voice.size(); ++i) {
      const double a = voice[i], b = gsm[static_cast<std::size_t>(static_cast<long>(i) + lag)];
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    return xy / std::sqrt(xx * yy);
  };
  int best_lag = 0;
  for (int lag = -160; lag <= 160; ++lag) {
    if (correlation(lag) > correlation(best_lag)) best_lag = lag;
  }
  std::printf("codec round trips at -26 dBFS: mu-law SNR %.1f dB, A-law %.1f dB; GSM 06.10 best lag %d samples, "
              "correlation %.3f\n",
              ulaw, alaw, best_lag, correlation(best_lag));
  // G.711 segments keep about 6 bits of mantissa: 35-39 dB for speech levels (ITU-T G.711, G.712).
  CHECK(ulaw > 33.0);
  CHECK(alaw > 33.0);
  CHECK(std::abs(best_lag) <= 1);
  CHECK(correlation(best_lag) > 0.8);
}

TEST_CASE("the AGC moves levels toward -26 dBFS by at most 6 dB", "[tools][line]") {
  for (const double level : {-40.0, -32.0, -26.0, -20.0, -12.0}) {
    INFO("input at " << level << " dBFS");
    // Talk spurts (0.8 s) and pauses (0.4 s) over line noise 40 dB down: the AGC
    // learns the level of the speech, standing above the noise of the pauses.
    std::vector<float> x = tw::test::harmonic_complex(150.0, level, 10.0, kRate);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (i % (12 * kRate / 10) >= 8 * kRate / 10) x[i] = 0.0f;
    }
    tw::test::add_white_noise(x, 40.0, 3);
    std::vector<float> y = x;
    tw::tools::automatic_gain(y, kRate);
    // After about 5 s of speech the 1.5 s level estimate has settled within 0.3 dB.
    const double gain = rms_db(y, 7 * kRate, 10 * kRate) - rms_db(x, 7 * kRate, 10 * kRate);
    CHECK(gain == Approx(std::clamp(-26.0 - level, -6.0, 6.0)).margin(0.5));
  }
}

TEST_CASE("packet loss zero-fills about 2 % of 20 ms packets / the same ones for a seed", "[tools][line]") {
  std::vector<float> x(600 * kRate / 10, 0.5f);  // 60 s, 3000 packets
  std::vector<float> y = x;
  const std::size_t lost = tw::tools::lose_packets(x, kRate, 0.02, 0.02, 7);
  const std::size_t again = tw::tools::lose_packets(y, kRate, 0.02, 0.02, 7);
  CHECK(lost == again);
  CHECK(x == y);
  // Binomial(3000, 0.02): mean 60, standard deviation 7.7.
  CHECK(lost >= 37);
  CHECK(lost <= 83);
  std::size_t zeros = 0;
  for (float v : x) zeros += v == 0.0f ? 1 : 0;
  CHECK(zeros == lost * 160);
}

TEST_CASE("line conditions by name / clean leaves the call alone", "[tools][line]") {
  for (LineCondition c : tw::tools::kAllLineConditions) CHECK(tw::tools::parse_line_condition(tw::tools::to_string(c)) == c);
  CHECK_THROWS_WITH(tw::tools::parse_line_condition("isdn"), Catch::Contains("clean, ulaw"));
  std::vector<float> stereo = tw::test::sine(500.0, 0.1, 0.5, kRate);
  const std::vector<float> before = stereo;
  tw::tools::apply_line_condition(stereo, 2, kRate, LineCondition::clean, 1);
  CHECK(stereo == before);
  CHECK(tw::tools::band_of(LineCondition::clean) == "none");
  CHECK(tw::tools::band_of(LineCondition::gsm) == "steep");
}

TEST_CASE("monotone resynthesis holds the pitch level and evens the loudness", "[tools][line]") {
  // A voice gliding over an octave with a 12 dB loudness swing.
  const double seconds = 3.0;
  std::vector<float> x(static_cast<std::size_t>(seconds * kRate));
  double phase = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double f0 = 120.0 * std::pow(2.0, t / seconds);
    phase += 2.0 * std::numbers::pi * f0 / kRate;
    const double amplitude = 0.05 * std::pow(10.0, 0.3 * std::sin(2.0 * std::numbers::pi * 0.7 * t));
    double v = 0.0;
    for (int k = 1; k * f0 < 3500.0; ++k) v += std::sin(k * phase) / k;
    x[i] = static_cast<float>(amplitude * v);
  }
  const std::vector<float> y = tw::tools::monotone_voice(x, kRate);
  auto measure = [](const std::vector<float>& s) {
    std::vector<float> f0, loudness;
    tw::features::FeatureExtractor extractor;
    extractor.process(s, [&](const tw::features::HopFeatures& h) {
      if (h.voiced) {
        f0.push_back(h.f0_semitones);
        loudness.push_back(h.loudness_db);
      }
    });
    auto range = [](std::vector<float> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() * 9 / 10] - v[v.size() / 10];
    };
    return std::pair{range(f0), range(loudness)};
  };
  const auto [f0_in, loudness_in] = measure(x);
  const auto [f0_out, loudness_out] = measure(y);
  std::printf("monotone resynthesis: F0 range %.1f -> %.1f st, loudness range %.1f -> %.1f dB\n", f0_in, f0_out,
              loudness_in, loudness_out);
  CHECK(f0_in > 8.0);
  CHECK(f0_out < 1.0);
  CHECK(loudness_out < loudness_in * 0.6);
}
