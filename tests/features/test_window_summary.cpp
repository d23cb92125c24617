// Window summaries from synthetic hop sequences whose statistics are known by
// hand: F0 glide (median and 10-90 % range in semitones), VAD pattern, pauses,
// voicing and syllable flags.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "features/hop_features.h"
#include "features/window_summary.h"

namespace {

using tw::features::HopFeatures;
using tw::features::WindowSummarizer;
using tw::features::WindowSummary;

// The scripted speaker, hop by hop (defaults: window 300 hops, one summary per 100).
//   active (vad):  hops [40, 250) except a pause [120, 140)       -> 190 active hops
//   voiced:        active hops in [60, 240)                        -> 160 voiced hops
//   F0:            the k-th voiced hop (k = 0..159) at 40 + 8 k / 159 semitones
//                  re 27.5 Hz: a linear glide from 40 to 48 st
//   syllables:     flags at hops 60, 85, 110, 145, 170, 195, 220, 245
//   decoys:        hops 10 and 270 are "voiced" at 500 Hz but not active (a noise
//                  burst the VAD rejected): they must not reach the pitch statistics
//   loudness:      -25 dB on active hops, -60 dB elsewhere
//   after hop 299: silence.
constexpr double kGlideStartSt = 40.0, kGlideSpanSt = 8.0;
constexpr int kVoicedHops = 160;

HopFeatures scripted_hop(std::int64_t n, int& voiced_so_far) {
  HopFeatures h;
  h.hop_index = n;
  h.time_s = static_cast<double>(n) * 0.01;
  const bool in_script = n < 300;
  h.vad = in_script && n >= 40 && n < 250 && !(n >= 120 && n < 140);
  h.voiced = h.vad && n >= 60 && n < 240;
  if (h.voiced) {
    const double st = kGlideStartSt + kGlideSpanSt * voiced_so_far / (kVoicedHops - 1);
    ++voiced_so_far;
    h.f0_semitones = static_cast<float>(st);
    h.f0_hz = static_cast<float>(27.5 * std::exp2(st / 12.0));
    h.voicing = 0.9f;
    h.hnr_db = 12.0f;
    h.alpha_ratio_db = -15.0f;
  }
  if (n == 10 || n == 270) {
    h.voiced = true;
    h.f0_hz = 500.0f;
    h.f0_semitones = static_cast<float>(12.0 * std::log2(500.0 / 27.5));
  }
  for (const std::int64_t s : {60, 85, 110, 145, 170, 195, 220, 245}) h.syllable = h.syllable || n == s;
  h.loudness_db = h.vad ? -25.0f : -60.0f;
  h.level_dbfs = h.vad ? -28.0f : -63.0f;
  h.centroid_hz = h.vad ? 1200.0f : 300.0f;
  return h;
}

// Glide value at a (possibly fractional) index k of the voiced hops.
double glide_st(double k) { return kGlideStartSt + kGlideSpanSt * k / (kVoicedHops - 1); }

// Type-7 quantile position over voiced hops k = first..last: the glide is linear
// in k, so the quantile is the glide at first + q * (count - 1).
double glide_quantile(int first, int last, double q) { return glide_st(first + q * (last - first)); }

struct Run {
  std::vector<std::int64_t> emitted_at;
  std::vector<WindowSummary> summaries;
};

Run run_script(WindowSummarizer& summarizer, std::int64_t hops) {
  Run run;
  int voiced = 0;
  for (std::int64_t n = 0; n < hops; ++n) {
    if (summarizer.push(scripted_hop(n, voiced))) {
      run.emitted_at.push_back(n);
      run.summaries.push_back(summarizer.summary());
    }
  }
  return run;
}

}  // namespace

TEST_CASE("window summaries: one every 100 hops over the last 300", "[summary]") {
  WindowSummarizer summarizer;
  const Run run = run_script(summarizer, 450);
  REQUIRE(run.emitted_at == std::vector<std::int64_t>{99, 199, 299, 399});
  for (std::size_t i = 0; i < run.summaries.size(); ++i) {
    const WindowSummary& s = run.summaries[i];
    CHECK(s.end_hop == run.emitted_at[i]);
    // The window [end_time_s - window_s, end_time_s) holds the centres of its hops.
    CHECK(s.end_time_s == Approx(static_cast<double>(s.end_hop + 1) * 0.01));
    CHECK(s.window_s == Approx(std::min<double>(3.0, static_cast<double>(s.end_hop + 1) * 0.01)));
  }
}

TEST_CASE("window summary of a full window matches hand-computed values", "[summary]") {
  WindowSummarizer summarizer;
  const WindowSummary s = run_script(summarizer, 300).summaries.at(2);  // hops 0..299
  REQUIRE(s.end_hop == 299);
  // Active: [40, 250) minus the 20-hop pause = 190 hops.
  CHECK(s.speech_s == Approx(1.90).margin(1e-4));
  // Between the first (40) and last (249) active hop: 210 hops, 190 active.
  CHECK(s.pause_s == Approx(0.20).margin(1e-4));
  CHECK(s.voiced_fraction == Approx(160.0 / 190.0).margin(1e-5));
  CHECK(s.voiced_s == Approx(1.60).margin(1e-4));
  // New in this window: hops 200..299, active in [200, 250).
  CHECK(s.new_speech_s == Approx(0.50).margin(1e-4));
  CHECK(s.syllables == 8);
  CHECK(s.speaking_rate_syl_per_s == Approx(8.0 / 1.90).margin(1e-3));
  // Glide over all 160 voiced hops: median 44 st, 10-90 % range 0.8 * 8 = 6.4 st.
  CHECK(s.f0_median_st == Approx(44.0).margin(1e-3));
  CHECK(s.f0_range_st == Approx(6.4).margin(1e-3));
  CHECK(s.f0_median_hz == Approx(27.5 * std::exp2(44.0 / 12.0)).epsilon(1e-3));
  CHECK(s.loudness_median_db == Approx(-25.0));
  CHECK(s.loudness_range_db == Approx(0.0).margin(1e-6));
  CHECK(s.level_median_dbfs == Approx(-28.0));
  CHECK(s.centroid_hz == Approx(1200.0));
  CHECK(s.alpha_ratio_db == Approx(-15.0));
  CHECK(s.hnr_db == Approx(12.0));
}

TEST_CASE("window summary slides: hops that left the window no longer count", "[summary]") {
  WindowSummarizer summarizer;
  const WindowSummary s = run_script(summarizer, 400).summaries.at(3);  // hops 100..399
  REQUIRE(s.end_hop == 399);
  CHECK(s.window_s == Approx(3.0));
  // Active in [100, 250) minus the pause: 130 hops, first 100, last 249.
  CHECK(s.speech_s == Approx(1.30).margin(1e-4));
  CHECK(s.pause_s == Approx(0.20).margin(1e-4));
  // Voiced in [100, 240) minus the pause: 120 hops, the glide's k = 40..159.
  CHECK(s.voiced_fraction == Approx(120.0 / 130.0).margin(1e-5));
  CHECK(s.voiced_s == Approx(1.20).margin(1e-4));
  CHECK(s.new_speech_s == Approx(0.0).margin(1e-6));  // hops 300..399 are silent
  CHECK(s.syllables == 6);  // 110, 145, 170, 195, 220, 245
  CHECK(s.speaking_rate_syl_per_s == Approx(6.0 / 1.30).margin(1e-3));
  const double median = glide_quantile(40, 159, 0.5);                                  // 45.006 st
  const double range = glide_quantile(40, 159, 0.9) - glide_quantile(40, 159, 0.1);    // 4.790 st
  CHECK(s.f0_median_st == Approx(median).margin(1e-3));
  CHECK(s.f0_range_st == Approx(range).margin(1e-3));
  CHECK(median == Approx(45.006).margin(1e-3));
  CHECK(range == Approx(4.790).margin(1e-3));
}

TEST_CASE("new speech summed over the summaries counts every active hop once", "[summary]") {
  WindowSummarizer summarizer;
  double total = 0.0;
  for (const WindowSummary& s : run_script(summarizer, 600).summaries) total += s.new_speech_s;
  CHECK(total == Approx(1.90).margin(1e-4));  // the script's 190 active hops
}

TEST_CASE("window summary of a partly filled window", "[summary]") {
  WindowSummarizer summarizer;
  const WindowSummary s = run_script(summarizer, 100).summaries.at(0);  // hops 0..99
  CHECK(s.window_s == Approx(1.0));
  CHECK(s.speech_s == Approx(0.60).margin(1e-4));   // active 40..99
  CHECK(s.new_speech_s == Approx(0.60).margin(1e-4));  // the first summary: every hop is new
  CHECK(s.pause_s == Approx(0.0).margin(1e-6));
  CHECK(s.voiced_fraction == Approx(40.0 / 60.0).margin(1e-5));  // voiced 60..99
  CHECK(s.syllables == 2);                           // 60, 85
  CHECK(s.speaking_rate_syl_per_s == Approx(2.0 / 0.6).margin(1e-3));
  CHECK(s.f0_median_st == Approx(glide_quantile(0, 39, 0.5)).margin(1e-3));
  CHECK(s.f0_range_st == Approx(glide_quantile(0, 39, 0.9) - glide_quantile(0, 39, 0.1)).margin(1e-3));
}

TEST_CASE("window summary leaves statistics missing when there is too little to measure", "[summary]") {
  SECTION("silence: no speech, no pause, no voicing share") {
    WindowSummarizer summarizer;
    HopFeatures silent;
    bool ready = false;
    for (std::int64_t n = 0; n < 100; ++n) {
      silent.hop_index = n;
      ready = summarizer.push(silent);
    }
    REQUIRE(ready);
    const WindowSummary& s = summarizer.summary();
    CHECK(s.speech_s == 0.0f);
    CHECK(s.pause_s == 0.0f);
    CHECK(std::isnan(s.voiced_fraction));
    CHECK(std::isnan(s.speaking_rate_syl_per_s));
    CHECK(std::isnan(s.f0_median_st));
    CHECK(std::isnan(s.loudness_median_db));
  }
  SECTION("under 0.5 s of speech has no rate; under min_voiced_hops no pitch") {
    WindowSummarizer summarizer;
    for (std::int64_t n = 0; n < 100; ++n) {
      HopFeatures h;
      h.hop_index = n;
      h.vad = n < 40;                        // 0.4 s of speech
      h.voiced = n < 9;                      // 9 voiced hops, one short of the 10 needed
      h.f0_hz = h.voiced ? 200.0f : 0.0f;
      h.f0_semitones = h.voiced ? 34.0f : 0.0f;
      h.syllable = n == 5 || n == 20;
      summarizer.push(h);
    }
    const WindowSummary& s = summarizer.summary();
    CHECK(s.speech_s == Approx(0.40).margin(1e-4));
    CHECK(s.syllables == 2);
    CHECK(std::isnan(s.speaking_rate_syl_per_s));
    CHECK(std::isnan(s.f0_median_st));
    CHECK(std::isnan(s.f0_range_st));
    CHECK(s.voiced_fraction == Approx(9.0 / 40.0));
  }
}

TEST_CASE("window summarizer reset equals a fresh instance", "[summary]") {
  WindowSummarizer fresh, reused;
  run_script(reused, 250);  // stop between summaries
  reused.reset();
  const Run a = run_script(fresh, 400), b = run_script(reused, 400);
  REQUIRE(a.emitted_at == b.emitted_at);
  for (std::size_t i = 0; i < a.summaries.size(); ++i) {
    INFO("summary " << i);
    CHECK(a.summaries[i].speech_s == b.summaries[i].speech_s);
    CHECK(a.summaries[i].window_s == b.summaries[i].window_s);
    CHECK(a.summaries[i].syllables == b.summaries[i].syllables);
    CHECK(a.summaries[i].f0_median_st == b.summaries[i].f0_median_st);
    CHECK(a.summaries[i].f0_range_st == b.summaries[i].f0_range_st);
    CHECK(a.summaries[i].pause_s == b.summaries[i].pause_s);
  }
}

TEST_CASE("quantile_in_place interpolates between order statistics", "[summary]") {
  std::vector<float> v = {5.0f, 1.0f, 4.0f, 2.0f, 3.0f};
  CHECK(tw::features::quantile_in_place(v.data(), v.size(), 0.5f) == Approx(3.0));
  CHECK(tw::features::quantile_in_place(v.data(), v.size(), 0.1f) == Approx(1.4));
  CHECK(tw::features::quantile_in_place(v.data(), v.size(), 0.9f) == Approx(4.6));
  CHECK(tw::features::quantile_in_place(v.data(), v.size(), 0.0f) == Approx(1.0));
  CHECK(tw::features::quantile_in_place(v.data(), v.size(), 1.0f) == Approx(5.0));
  CHECK(std::isnan(tw::features::quantile_in_place(v.data(), 0, 0.5f)));
}
