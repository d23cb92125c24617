// Pitch on real speech against a laryngograph reference: the FDA database
// (Bagshaw, CSTR Edinburgh), 50 utterances of one male (rl) and one female (sb)
// speaker, run through the whole feature extractor at the analysis rate.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "io/resampling_source.h"
#include "support/external_tools.h"
#include "support/shared_data.h"

namespace {

// The reference: one F0 per line, 15 ms hop, frame k at k * 15 ms, 0 = unvoiced.
constexpr double kReferenceHop_s = 0.015;
// Gross pitch error: more than 20 % off the reference (Rabiner et al. 1976).
constexpr double kGrossErrorRatio = 0.2;

struct Score {
  std::size_t compared = 0;      // reference frames with an estimate at their time
  std::size_t both_voiced = 0;
  std::size_t gross = 0;         // of both_voiced
  std::size_t voicing_errors = 0;  // of compared
  std::size_t ref_voiced = 0, est_voiced = 0;

  void add(const Score& o) {
    compared += o.compared;
    both_voiced += o.both_voiced;
    gross += o.gross;
    voicing_errors += o.voicing_errors;
    ref_voiced += o.ref_voiced;
    est_voiced += o.est_voiced;
  }
  double gpe() const { return both_voiced ? static_cast<double>(gross) / static_cast<double>(both_voiced) : 1.0; }
  double vde() const { return compared ? static_cast<double>(voicing_errors) / static_cast<double>(compared) : 1.0; }
};

std::vector<double> read_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) FAIL("cannot read " << path);
  std::vector<double> f0;
  for (double v; in >> v;) f0.push_back(v);
  if (f0.empty()) FAIL(path << " holds no values");
  return f0;
}

struct Hop {
  double time_s;
  bool voiced;
  float f0_hz;
};

// A file is scored with the estimate taken kOffsets[o] hops after the aligned
// one; the offsets other than 0 check that the alignment is the best one.
constexpr std::array<long, 3> kOffsets = {-1, 0, 1};

std::array<Score, kOffsets.size()> score_file(const std::string& audio_path, const std::vector<double>& reference) {
  const std::vector<float> x = tw::io::load_channel(audio_path, tw::dsp::kAnalysisRateHz);
  tw::features::FeatureExtractor extractor;
  std::vector<Hop> hops;
  hops.reserve(x.size() / tw::dsp::kHopSize10ms8kHz + 1);
  extractor.process(x, [&](const tw::features::HopFeatures& h) { hops.push_back({h.time_s, h.voiced, h.f0_hz}); });
  REQUIRE(hops.size() >= 2);
  const double hop_s = hops[1].time_s - hops[0].time_s;

  std::array<Score, kOffsets.size()> scores;
  for (std::size_t o = 0; o < kOffsets.size(); ++o) {
    Score& s = scores[o];
    for (std::size_t k = 0; k < reference.size(); ++k) {
      const double t = static_cast<double>(k) * kReferenceHop_s;
      // The hop whose frame centre is nearest t (hop times are uniformly spaced).
      const double position = (t - hops.front().time_s) / hop_s;
      const long n = std::lround(position) + kOffsets[o];
      if (n < 0 || n >= static_cast<long>(hops.size())) continue;
      const Hop& h = hops[static_cast<std::size_t>(n)];
      const bool ref_voiced = reference[k] > 0.0;
      ++s.compared;
      if (ref_voiced) ++s.ref_voiced;
      if (h.voiced) ++s.est_voiced;
      if (ref_voiced != h.voiced) ++s.voicing_errors;
      if (ref_voiced && h.voiced) {
        ++s.both_voiced;
        if (std::abs(h.f0_hz - reference[k]) > kGrossErrorRatio * reference[k]) ++s.gross;
      }
    }
  }
  return scores;
}

void print(const char* condition, const std::string& who, const Score& s) {
  std::printf("FDA pitch %-8s %-7s GPE %5.2f %% (%zu/%zu both-voiced frames)  VDE %5.2f %% (%zu/%zu frames; "
              "reference voiced %zu, ours %zu)\n",
              condition, who.c_str(), 100.0 * s.gpe(), s.gross, s.both_voiced, 100.0 * s.vde(), s.voicing_errors,
              s.compared, s.ref_voiced, s.est_voiced);
}

}  // namespace

TEST_CASE("pitch on the FDA database matches the laryngograph reference", "[data][pitch]") {
  const std::string dir = tw::test::shared_data_path("fda_pitch");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".wav") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() == 50);

  for (const char* condition : {"as given", "mu-law"}) {
    std::map<std::string, Score> by_speaker;
    std::array<Score, kOffsets.size()> totals;
    for (const std::string& name : names) {
      const std::string wav = dir + "/" + name + ".wav";
      const std::string f0ref = dir + "/" + name + ".f0ref";
      if (!std::filesystem::exists(f0ref)) FAIL("reference missing: " << f0ref);
      std::string input = wav;
      if (std::string(condition) == "mu-law") {
        // A telephone channel: 8 kHz, 8-bit G.711 u-law, made by sox from the
        // original. -R seeds sox's dither, so every run tests the same file.
        input = tw::test::scratch_dir() + "/fda_" + name + "_ulaw.wav";
        tw::test::run_sox({"-R", wav, "-r", "8000", "-e", "mu-law", input});
      }
      const auto scores = score_file(input, read_reference(f0ref));
      INFO(condition << " " << name);
      CHECK(scores[1].compared > 0);
      by_speaker[name.substr(0, 2)].add(scores[1]);
      for (std::size_t o = 0; o < kOffsets.size(); ++o) totals[o].add(scores[o]);
    }
    const Score& total = totals[1];
    for (const auto& [speaker, s] : by_speaker) {
      print(condition, speaker == "rl" ? "rl (m)" : speaker == "sb" ? "sb (f)" : speaker, s);
    }
    print(condition, "all", total);

    INFO(condition << ": GPE " << 100.0 * total.gpe() << " % over " << total.both_voiced << " both-voiced frames, VDE "
                   << 100.0 * total.vde() << " % over " << total.compared << " frames");
    // Enough of the database actually compared, so a time-alignment or length
    // bug cannot pass by comparing few frames.
    CHECK(total.compared >= 8000);   // of 8455 reference frames
    CHECK(total.both_voiced >= 2500);
    CHECK(total.gpe() <= 0.03);
    CHECK(total.vde() <= 0.10);
    // Time comes from sample counts and the resampler adds no delay, so the
    // nearest-centre alignment must agree best with the reference: one hop
    // (10 ms) either way must not do better.
    std::printf("FDA pitch %-8s VDE with the estimate one hop early %.2f %%, aligned %.2f %%, one hop late %.2f %%\n",
                condition, 100.0 * totals[0].vde(), 100.0 * totals[1].vde(), 100.0 * totals[2].vde());
    CHECK(total.vde() <= totals[0].vde());
    CHECK(total.vde() <= totals[2].vde());
  }
}
