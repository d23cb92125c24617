// Pitch on real speech against a laryngograph reference: the FDA database
// (Bagshaw, CSTR Edinburgh), 50 utterances of one male (rl) and one female (sb)
// speaker, run through the whole feature extractor at the analysis rate, as
// recorded and through four telephone channels.

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

#include "dsp/butterworth_band_pass.h"
#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "io/audio_file_writer.h"
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
  // Where the errors are. Gross errors by the ratio of our F0 to the
  // reference's (within 20 % of x2, x3, 1/2, 1/3, or none of them); voicing
  // errors by kind (a voiced reference frame we call unvoiced, or the reverse)
  // and by place: at an onset or offset when the reference changes voicing
  // within kEdgeFrames frames of it, inside a stretch otherwise.
  enum GrossKind { kTwiceHigh, kThriceHigh, kHalfLow, kThirdLow, kOtherGross, kGrossKinds };
  enum Place { kOnset, kOffset, kInside, kPlaces };
  std::array<std::size_t, kGrossKinds> gross_by_kind{};
  std::array<std::size_t, kPlaces> missed{};    // reference voiced, ours unvoiced
  std::array<std::size_t, kPlaces> spurious{};  // reference unvoiced, ours voiced

  void add(const Score& o) {
    compared += o.compared;
    both_voiced += o.both_voiced;
    gross += o.gross;
    voicing_errors += o.voicing_errors;
    ref_voiced += o.ref_voiced;
    est_voiced += o.est_voiced;
    for (std::size_t i = 0; i < gross_by_kind.size(); ++i) gross_by_kind[i] += o.gross_by_kind[i];
    for (std::size_t i = 0; i < missed.size(); ++i) {
      missed[i] += o.missed[i];
      spurious[i] += o.spurious[i];
    }
  }
  double gpe() const { return both_voiced ? static_cast<double>(gross) / static_cast<double>(both_voiced) : 1.0; }
  double vde() const { return compared ? static_cast<double>(voicing_errors) / static_cast<double>(compared) : 1.0; }
};

// Reference frames either side of a voicing change that count as its onset or offset (30 ms).
constexpr std::size_t kEdgeFrames = 2;

Score::GrossKind gross_kind(double ratio) {
  const auto near = [&](double multiple) { return std::abs(ratio / multiple - 1.0) <= kGrossErrorRatio; };
  if (near(2.0)) return Score::kTwiceHigh;
  if (near(3.0)) return Score::kThriceHigh;
  if (near(0.5)) return Score::kHalfLow;
  if (near(1.0 / 3.0)) return Score::kThirdLow;
  return Score::kOtherGross;
}

// Onset, offset or inside: the nearest voicing change of the reference within
// kEdgeFrames of frame k decides.
Score::Place place_of(const std::vector<double>& reference, std::size_t k) {
  const auto voiced = [&](std::size_t i) { return reference[i] > 0.0; };
  for (std::size_t d = 0; d <= kEdgeFrames; ++d) {
    // A change between frames i and i + 1 at distance d from k.
    for (const long i : {static_cast<long>(k) - static_cast<long>(d) - 1, static_cast<long>(k) + static_cast<long>(d)}) {
      if (i < 0 || i + 1 >= static_cast<long>(reference.size())) continue;
      const auto a = static_cast<std::size_t>(i);
      if (voiced(a) != voiced(a + 1)) return voiced(a + 1) ? Score::kOnset : Score::kOffset;
    }
  }
  return Score::kInside;
}

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
  extractor.flush([&](const tw::features::HopFeatures& h) { hops.push_back({h.time_s, h.voiced, h.f0_hz}); });
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
      if (ref_voiced != h.voiced) {
        ++s.voicing_errors;
        (ref_voiced ? s.missed : s.spurious)[place_of(reference, k)]++;
      }
      if (ref_voiced && h.voiced) {
        ++s.both_voiced;
        if (std::abs(h.f0_hz - reference[k]) > kGrossErrorRatio * reference[k]) {
          ++s.gross;
          ++s.gross_by_kind[gross_kind(h.f0_hz / reference[k])];
        }
      }
    }
  }
  return scores;
}

// The channels a voice reaches us through. Each is made from the 20 kHz
// original; -R seeds sox's dither, so every run tests the same files.
enum class Channel { as_given, mu_law, sinc_band_mu_law, butterworth_band_mu_law, gsm_full_rate };

struct Condition {
  Channel channel;
  const char* name;
};

constexpr std::array<Condition, 5> kConditions = {{
    {Channel::as_given, "as given"},
    {Channel::mu_law, "mu-law"},
    // ITU-T G.712 voice band by a steep linear-phase FIR (sox's sinc), then G.711.
    {Channel::sinc_band_mu_law, "sinc 300-3400 + mu-law"},
    // The same band by a 4th-order Butterworth (24 dB/octave skirts: an older
    // analogue line or a handset filter), then G.711.
    {Channel::butterworth_band_mu_law, "Butterworth 300-3400 + mu-law"},
    // GSM 06.10 full rate (RPE-LTP, 13 kbit/s), the first digital mobile codec,
    // encoded and decoded by sox's libgsm.
    {Channel::gsm_full_rate, "GSM full rate"},
}};

// Makes the file a condition analyses, in the scratch directory.
std::string prepare(Channel channel, const std::string& wav, const std::string& name) {
  const std::string base = tw::test::scratch_dir() + "/fda_" + name;
  switch (channel) {
    case Channel::as_given:
      return wav;
    case Channel::mu_law: {
      const std::string out = base + "_ulaw.wav";
      tw::test::run_sox({"-R", wav, "-r", "8000", "-e", "mu-law", out});
      return out;
    }
    case Channel::sinc_band_mu_law: {
      // The issue's command: sox resamples after the band-pass effect.
      const std::string out = base + "_sinc_ulaw.wav";
      tw::test::run_sox({"-R", wav, "-r", "8000", "-e", "mu-law", out, "sinc", "300-3400"});
      return out;
    }
    case Channel::butterworth_band_mu_law: {
      std::vector<float> x = tw::io::load_channel(wav, tw::dsp::kAnalysisRateHz);
      tw::dsp::ButterworthBandPass band(tw::dsp::kAnalysisRateHz, 300.0, 3400.0);
      band.process(x);
      const std::string filtered = base + "_butter.wav";
      tw::io::write_audio_file(filtered, x, 1, tw::dsp::kAnalysisRateHz, tw::io::OutputEncoding::wav_float);
      const std::string out = base + "_butter_ulaw.wav";
      tw::test::run_sox({"-R", filtered, "-e", "mu-law", out});
      return out;
    }
    case Channel::gsm_full_rate: {
      // Raw .gsm holds 33-byte frames of 8 kHz mono; decode back to 16-bit PCM.
      const std::string coded = base + ".gsm";
      tw::test::run_sox({"-R", wav, "-r", "8000", coded});
      const std::string out = base + "_gsm.wav";
      tw::test::run_sox({"-R", coded, "-e", "signed-integer", "-b", "16", out});
      return out;
    }
  }
  return wav;
}

struct ConditionResult {
  std::map<std::string, Score> by_speaker;
  std::array<Score, kOffsets.size()> totals;
};

void print_table(const std::array<ConditionResult, kConditions.size()>& results) {
  std::printf("FDA pitch (GPE: > 20 %% off the laryngograph F0, of both-voiced frames; VDE: voicing decisions "
              "differing, of all frames)\n");
  std::printf("FDA pitch %-30s %16s %16s %16s\n", "condition", "male rl", "female sb", "all");
  std::printf("FDA pitch %-30s %16s %16s %16s\n", "", "GPE %   VDE %", "GPE %   VDE %", "GPE %   VDE %");
  for (std::size_t c = 0; c < kConditions.size(); ++c) {
    const ConditionResult& r = results[c];
    const auto cell = [&](const std::string& speaker) {
      const auto it = r.by_speaker.find(speaker);
      const Score s = it == r.by_speaker.end() ? Score{} : it->second;
      char text[32];
      std::snprintf(text, sizeof text, "%6.2f  %6.2f", 100.0 * s.gpe(), 100.0 * s.vde());
      return std::string(text);
    };
    char all[32];
    std::snprintf(all, sizeof all, "%6.2f  %6.2f", 100.0 * r.totals[1].gpe(), 100.0 * r.totals[1].vde());
    std::printf("FDA pitch %-30s %16s %16s %16s\n", kConditions[c].name, cell("rl").c_str(), cell("sb").c_str(), all);
  }
  for (std::size_t c = 0; c < kConditions.size(); ++c) {
    const ConditionResult& r = results[c];
    const Score& t = r.totals[1];
    std::printf("FDA pitch %-30s %zu/%zu gross, %zu/%zu voicing errors (reference voiced %zu, ours %zu); VDE one "
                "hop early %.2f %%, aligned %.2f %%, one hop late %.2f %%\n",
                kConditions[c].name, t.gross, t.both_voiced, t.voicing_errors, t.compared, t.ref_voiced, t.est_voiced,
                100.0 * r.totals[0].vde(), 100.0 * t.vde(), 100.0 * r.totals[2].vde());
  }
  std::printf("FDA pitch errors by kind (frames): gross x2 / x3 / 1/2 / 1/3 / other; voicing missed and spurious at "
              "onset / offset / inside (%zu reference frames of a voicing change)\n",
              kEdgeFrames);
  std::printf("FDA pitch %-30s %-7s %28s %21s %21s\n", "condition", "speaker", "gross x2  x3 1/2 1/3 oth",
              "missed on off in", "spurious on off in");
  for (std::size_t c = 0; c < kConditions.size(); ++c) {
    for (const auto& [speaker, s] : results[c].by_speaker) {
      std::printf("FDA pitch %-30s %-7s %5zu %3zu %3zu %3zu %3zu %3zu %8zu %3zu %3zu %3zu %8zu %3zu %3zu %3zu\n",
                  kConditions[c].name, speaker.c_str(), s.gross, s.gross_by_kind[0], s.gross_by_kind[1],
                  s.gross_by_kind[2], s.gross_by_kind[3], s.gross_by_kind[4],
                  s.missed[0] + s.missed[1] + s.missed[2], s.missed[0], s.missed[1], s.missed[2],
                  s.spurious[0] + s.spurious[1] + s.spurious[2], s.spurious[0], s.spurious[1], s.spurious[2]);
    }
  }
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

  std::array<ConditionResult, kConditions.size()> results;
  for (std::size_t c = 0; c < kConditions.size(); ++c) {
    const Condition& condition = kConditions[c];
    for (const std::string& name : names) {
      const std::string wav = dir + "/" + name + ".wav";
      const std::string f0ref = dir + "/" + name + ".f0ref";
      if (!std::filesystem::exists(f0ref)) FAIL("reference missing: " << f0ref);
      const std::string input = prepare(condition.channel, wav, name);
      const auto scores = score_file(input, read_reference(f0ref));
      INFO(condition.name << " " << name);
      CHECK(scores[1].compared > 0);
      results[c].by_speaker[name.substr(0, 2)].add(scores[1]);
      for (std::size_t o = 0; o < kOffsets.size(); ++o) results[c].totals[o].add(scores[o]);
    }
  }
  print_table(results);

  for (std::size_t c = 0; c < kConditions.size(); ++c) {
    const Condition& condition = kConditions[c];
    const std::array<Score, kOffsets.size()>& totals = results[c].totals;
    const Score& total = totals[1];
    INFO(condition.name << ": GPE " << 100.0 * total.gpe() << " % over " << total.both_voiced
                        << " both-voiced frames, VDE " << 100.0 * total.vde() << " % over " << total.compared
                        << " frames");
    // Enough of the database actually compared, so a time-alignment or length
    // bug cannot pass by comparing few frames.
    CHECK(total.compared >= 8000);  // of 8455 reference frames
    CHECK(total.both_voiced >= 2500);
    // Targets (issue 10): the recordings as given and through G.711 alone no
    // worse than before the harmonic sieve (GPE 1.11 %, VDE 7.00 % / 7.07 %);
    // the telephone channels within a fixed bound each. Praat's autocorrelation
    // pitch scores 2.3 % / 7.8 % on the sinc band; issue 10 asked for at most
    // 2.5 % GPE and 8 % VDE there, issue 27 for at most 2 % GPE on every band-
    // passed channel (1.76 / 1.32 / 0.77 % on 2026-12-06).
    switch (condition.channel) {
      case Channel::as_given:
        CHECK(total.gpe() <= 0.0111);
        CHECK(total.vde() <= 0.0700);
        break;
      case Channel::mu_law:
        CHECK(total.gpe() <= 0.0111);
        CHECK(total.vde() <= 0.0707);
        break;
      case Channel::sinc_band_mu_law:
        CHECK(total.gpe() <= 0.020);
        CHECK(total.vde() <= 0.080);
        break;
      case Channel::butterworth_band_mu_law:
        CHECK(total.gpe() <= 0.020);
        CHECK(total.vde() <= 0.085);
        break;
      case Channel::gsm_full_rate:
        CHECK(total.gpe() <= 0.020);
        CHECK(total.vde() <= 0.075);
        break;
    }
    if (condition.channel == Channel::as_given || condition.channel == Channel::mu_law) {
      // Time comes from sample counts and the resampler adds no delay, so the
      // nearest-centre alignment must agree best with the reference: one hop
      // (10 ms) either way must not do better.
      CHECK(total.vde() <= totals[0].vde());
      CHECK(total.vde() <= totals[2].vde());
    }
  }
}
