// Streaming rules of the feature core: block-size invariance, reset() equals a
// fresh instance, no allocation after warm-up, time from sample counts.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <random>
#include <span>
#include <vector>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "features/speaker_statistics.h"
#include "features/window_summary.h"
#include "support/allocation_counter.h"
#include "support/synth.h"

namespace {

using tw::features::FeatureExtractor;
using tw::features::HopFeatures;

// Speech-like audio of known structure: 4 Hz syllable-rate amplitude modulation
// of a harmonic voice whose F0 glides, in phrases separated by pauses, over a
// low noise floor, so VAD, pitch, loudness and syllable state all change.
std::vector<float> speech_like(double seconds, std::uint32_t seed, double f0_scale = 1.0) {
  const int rate = tw::dsp::kAnalysisRateHz;
  const auto n = static_cast<std::size_t>(seconds * rate);
  std::vector<float> x(n, 0.0f);
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.001);
  double phase = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double phrase = std::fmod(t, 2.0);  // 1.4 s of speech, 0.6 s of pause
    double v = 0.0;
    if (phrase < 1.4) {
      const double f0 = f0_scale * (120.0 + 40.0 * std::sin(2.0 * std::numbers::pi * 0.7 * t) + 20.0 * phrase);
      phase += 2.0 * std::numbers::pi * f0 / rate;
      double voice = 0.0;
      for (int k = 1; k * f0 < 3800.0; ++k) voice += std::sin(k * phase) / k;
      const double syllables = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * 4.0 * phrase);
      v = 0.05 * voice * syllables;
    }
    x[i] = static_cast<float>(v + noise(rng));
  }
  return x;
}

// Every field of HopFeatures, compared bit for bit (NaN-safe, -0 != +0).
template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    std::array<unsigned char, sizeof(T)> x{}, y{};
    std::memcpy(x.data(), &a, sizeof(T));
    std::memcpy(y.data(), &b, sizeof(T));
    return x == y;
  } else {
    return a == b;
  }
}

// A new HopFeatures field must be added to identical() below; this fires when
// the struct grows so it cannot be forgotten.
static_assert(sizeof(HopFeatures) == 72, "HopFeatures changed: update identical() to compare the new fields");

bool identical(const HopFeatures& a, const HopFeatures& b) {
  return same_bits(a.hop_index, b.hop_index) && same_bits(a.time_s, b.time_s) && same_bits(a.f0_hz, b.f0_hz) &&
         same_bits(a.f0_semitones, b.f0_semitones) && same_bits(a.voicing, b.voicing) &&
         same_bits(a.voiced, b.voiced) && same_bits(a.hnr_db, b.hnr_db) && same_bits(a.level_dbfs, b.level_dbfs) &&
         same_bits(a.loudness_db, b.loudness_db) && same_bits(a.voice_band_db, b.voice_band_db) &&
         same_bits(a.noise_floor_db, b.noise_floor_db) && same_bits(a.vad, b.vad) &&
         same_bits(a.alpha_ratio_db, b.alpha_ratio_db) && same_bits(a.centroid_hz, b.centroid_hz) &&
         same_bits(a.syllable, b.syllable) && same_bits(a.syllable_lag_hops, b.syllable_lag_hops);
}

std::vector<HopFeatures> run_in_blocks(FeatureExtractor& extractor, std::span<const float> x,
                                       std::size_t max_block, std::uint32_t seed) {
  std::vector<HopFeatures> hops;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> size(1, max_block);
  for (std::size_t i = 0; i < x.size();) {
    const std::size_t n = std::min(size(rng), x.size() - i);
    extractor.process(x.subspan(i, n), [&](const HopFeatures& h) { hops.push_back(h); });
    i += n;
  }
  // The hops still waiting for their pitch decision at the end of the stream.
  extractor.flush([&](const HopFeatures& h) { hops.push_back(h); });
  return hops;
}

std::vector<HopFeatures> run_whole(FeatureExtractor& extractor, std::span<const float> x) {
  std::vector<HopFeatures> hops;
  extractor.process(x, [&](const HopFeatures& h) { hops.push_back(h); });
  extractor.flush([&](const HopFeatures& h) { hops.push_back(h); });
  return hops;
}

// The first index where two hop sequences differ, or npos.
std::size_t first_difference(const std::vector<HopFeatures>& a, const std::vector<HopFeatures>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!identical(a[i], b[i])) return i;
  }
  return a.size() == b.size() ? static_cast<std::size_t>(-1) : std::min(a.size(), b.size());
}

// The signal exercises what it is meant to (else the invariance checks are hollow).
void require_varied(const std::vector<HopFeatures>& hops) {
  std::size_t vad = 0, voiced = 0, syllables = 0;
  for (const auto& h : hops) {
    vad += h.vad;
    voiced += h.voiced;
    syllables += h.syllable;
  }
  INFO("vad " << vad << ", voiced " << voiced << ", syllables " << syllables << " of " << hops.size() << " hops");
  REQUIRE(vad > hops.size() / 4);
  REQUIRE(vad < hops.size());
  REQUIRE(voiced > hops.size() / 4);
  REQUIRE(syllables >= 5);
}

}  // namespace

TEST_CASE("features are bit-identical whatever the block sizes", "[streaming]") {
  const std::vector<float> x = speech_like(5.0, 7);
  FeatureExtractor whole_extractor;
  const auto reference = run_whole(whole_extractor, x);
  require_varied(reference);
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    for (const std::size_t max_block : {std::size_t{7}, std::size_t{2000}}) {
      FeatureExtractor extractor;
      const auto hops = run_in_blocks(extractor, x, max_block, seed);
      const std::size_t diff = first_difference(reference, hops);
      INFO("seed " << seed << ", blocks of 1.." << max_block << ": " << hops.size() << " vs " << reference.size()
                   << " hops, first difference at hop " << diff);
      CHECK(hops.size() == reference.size());
      CHECK(diff == static_cast<std::size_t>(-1));
    }
  }
  // One sample at a time as well (the degenerate block size).
  FeatureExtractor single;
  std::vector<HopFeatures> hops;
  for (const float v : x) single.process(std::span<const float>(&v, 1), [&](const HopFeatures& h) { hops.push_back(h); });
  single.flush([&](const HopFeatures& h) { hops.push_back(h); });
  CHECK(first_difference(reference, hops) == static_cast<std::size_t>(-1));
}

TEST_CASE("reset() then re-feeding equals a fresh instance", "[streaming]") {
  // Loud audio before the reset and quiet audio (32 dB lower) after it, so any
  // stale level state (noise floor, loud-peak reference) shows. The voice before
  // ends near 70 Hz and the one after starts at 120 Hz, a ratio the pitch
  // path's continuity weighs (more so with a higher octave-jump cost), so stale
  // pitch memory shows too.
  std::vector<float> first = speech_like(3.0, 11, 0.45);
  for (float& v : first) v *= 4.0f;
  std::vector<float> second = speech_like(4.0, 12);
  for (float& v : second) v *= 0.1f;
  for (const float octave_jump_cost : {0.35f, 1.0f}) {
    tw::features::FeatureConfig config;
    config.pitch.octave_jump_cost = octave_jump_cost;
    FeatureExtractor fresh(config);
    const auto expected = run_whole(fresh, second);
    require_varied(expected);

    FeatureExtractor reused(config);
    // Stop mid-hop (not a multiple of 80 samples) so the framer holds a partial hop.
    run_whole(reused, std::span<const float>(first).first(first.size() - 37));
    reused.reset();
    CHECK(reused.samples_consumed() == 0);
    const auto hops = run_in_blocks(reused, second, 500, 5);
    INFO("octave_jump_cost " << octave_jump_cost << ": first difference at hop " << first_difference(expected, hops));
    CHECK(hops.size() == expected.size());
    CHECK(first_difference(expected, hops) == static_cast<std::size_t>(-1));

    // Twice in a row changes nothing.
    reused.reset();
    reused.reset();
    CHECK(first_difference(expected, run_whole(reused, second)) == static_cast<std::size_t>(-1));
  }
}

TEST_CASE("no allocation per hop after warm-up", "[streaming]") {
  const std::vector<float> x = speech_like(11.0, 21);
  const std::span<const float> warm_up = std::span<const float>(x).first(8000);
  const std::span<const float> rest = std::span<const float>(x).subspan(8000);

  FeatureExtractor extractor;
  tw::features::WindowSummarizer summarizer;
  tw::features::SpeakerStatistics statistics;
  std::size_t hops = 0, summaries = 0, active = 0;
  auto on_hop = [&](const HopFeatures& h) {
    ++hops;
    if (summarizer.push(h)) ++summaries;
    statistics.add(h);
    active += h.vad;
  };
  extractor.process(warm_up, on_hop);

  // Blocks of varying size, from a table made before arming (the generator is
  // allocation-free, but keep the armed region to the code under test).
  std::vector<std::size_t> blocks;
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::size_t> size(1, 2000);
  for (std::size_t total = 0; total < rest.size();) {
    blocks.push_back(std::min(size(rng), rest.size() - total));
    total += blocks.back();
  }
  std::size_t allocations = 0, deallocations = 0;
  float rate = 0.0f;
  {
    tw::test::AllocationScope scope;
    std::size_t offset = 0;
    for (const std::size_t n : blocks) {
      extractor.process(rest.subspan(offset, n), on_hop);
      offset += n;
    }
    rate = statistics.totals().articulation_rate_syl_per_s;
    extractor.reset();
    summarizer.reset();
    statistics.reset();
    extractor.process(warm_up, on_hop);
    allocations = scope.allocations();
    deallocations = scope.deallocations();
  }
  INFO(hops << " hops, " << summaries << " summaries, " << active << " active hops");
  CHECK(hops >= 1100);
  CHECK(summaries >= 10);
  CHECK(active > 100);
  CHECK(std::isfinite(rate));
  CHECK(allocations == 0);
  CHECK(deallocations == 0);
}

TEST_CASE("the allocation counter sees allocations while armed", "[streaming]") {
  // The no-allocation check above is only worth something if the counter works.
  std::size_t counted = 0;
  {
    tw::test::AllocationScope scope;
    std::vector<float> v(1000);
    v.push_back(1.0f);
    counted = scope.allocations();
  }
  CHECK(counted >= 2);
  // Disarmed: nothing is counted (a new scope starts from zero).
  tw::test::AllocationScope later;
  CHECK(later.allocations() == 0);
}

TEST_CASE("hop times come from sample counts / whatever the block sizes", "[streaming]") {
  // Frame n is centred on sample n * 80 (zero-padded before the stream starts),
  // so time_s = n * 80 / 8000 exactly. Its features are complete once the pitch
  // path has seen latency_hops() more hops (3 = 30 ms), so hop n is emitted
  // once sample n * 80 + 160 + 80 * latency_hops() has arrived; flush() gives
  // out the last latency_hops() hops at the end of the stream.
  const std::vector<float> x = speech_like(3.0, 31);
  for (const std::size_t max_block : {std::size_t{1}, std::size_t{333}, std::size_t{2000}}) {
    FeatureExtractor extractor;
    const auto latency = static_cast<std::int64_t>(extractor.latency_hops());
    REQUIRE(latency == 3);
    std::mt19937 rng(static_cast<std::uint32_t>(max_block));
    std::uniform_int_distribution<std::size_t> size(1, max_block);
    std::int64_t expected_index = 0;
    std::size_t wrong_index = 0, wrong_time = 0, emitted_late_or_early = 0;
    for (std::size_t i = 0; i < x.size();) {
      const std::size_t n = std::min(size(rng), x.size() - i);
      extractor.process(std::span<const float>(x).subspan(i, n), [&](const HopFeatures& h) {
        if (h.hop_index != expected_index) ++wrong_index;
        const double expected_time = static_cast<double>(h.hop_index * 80) / 8000.0;
        if (h.time_s != expected_time) ++wrong_time;
        // The last sample the hop waits for lies in this block.
        const auto last_sample = (h.hop_index + latency) * 80 + 160;
        if (last_sample <= static_cast<std::int64_t>(i) || last_sample > static_cast<std::int64_t>(i + n)) {
          ++emitted_late_or_early;
        }
        ++expected_index;
      });
      i += n;
    }
    INFO("blocks of 1.." << max_block);
    CHECK(wrong_index == 0);
    CHECK(wrong_time == 0);
    CHECK(emitted_late_or_early == 0);
    CHECK(extractor.samples_consumed() == static_cast<std::int64_t>(x.size()));
    // Every hop whose frame centre plus half a frame has arrived, (N - 160) / 80 + 1,
    // but the last latency_hops() ...
    const auto framed = static_cast<std::int64_t>((x.size() - 160) / 80 + 1);
    CHECK(expected_index == framed - latency);
    // ... which flush() gives out, in order; nothing more comes afterwards.
    extractor.flush([&](const HopFeatures& h) {
      if (h.hop_index != expected_index) ++wrong_index;
      ++expected_index;
    });
    CHECK(expected_index == framed);
    CHECK(wrong_index == 0);
    extractor.flush([&](const HopFeatures&) { ++expected_index; });
    CHECK(expected_index == framed);
  }
  // Spot values: hop 0 at 0 s, hop 1 at 10 ms, hop 250 at 2.5 s.
  FeatureExtractor extractor;
  std::vector<double> times;
  extractor.process(x, [&](const HopFeatures& h) { times.push_back(h.time_s); });
  REQUIRE(times.size() > 250);
  CHECK(times[0] == 0.0);
  CHECK(times[1] == 0.01);
  CHECK(times[250] == 2.5);
}
