// Pitch of a voice from outside the FDA database through the telephone band:
// the Asterisk IVR prompts (../shared/data/telephone_voice), one calm
// professional female voice recorded with its fundamental, whose second
// harmonic towers 16-30 dB over the rest once a line removes the fundamental.
//
// There is no laryngograph here, so the reference is the tracker itself on the
// recording as given, where the fundamental is present (on FDA, as given, it is
// within 20 % of the laryngograph on 99.3 % of frames). What is measured is
// whether the telephone band changes the answer: before the sieve compared
// partials locally (a mean of amplitudes, which the second harmonic ruled),
// 30 % of this voice's frames read an octave or a twelfth high on the band.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "io/resampling_source.h"
#include "support/external_tools.h"
#include "support/shared_data.h"

namespace {

std::vector<float> pitch_track(const std::string& path) {
  const std::vector<float> x = tw::io::load_channel(path, tw::dsp::kAnalysisRateHz);
  tw::features::FeatureExtractor extractor;
  std::vector<float> f0;
  const auto on_hop = [&](const tw::features::HopFeatures& h) { f0.push_back(h.voiced ? h.f0_hz : 0.0f); };
  extractor.process(x, on_hop);
  extractor.flush(on_hop);
  return f0;
}

}  // namespace

TEST_CASE("pitch of the IVR voice through the telephone band agrees with the recording as given", "[data][pitch]") {
  const std::string dir = tw::test::shared_data_path("telephone_voice");
  std::size_t both = 0, gross = 0, octave_high = 0, twelfth_high = 0, files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".wav") continue;
    const std::string wav = entry.path().string();
    const std::string line = tw::test::scratch_dir() + "/ivr_" + entry.path().stem().string() + "_sinc_ulaw.wav";
    // The issue's channel: ITU-T G.712 band by sox's steep FIR, then G.711 µ-law.
    tw::test::run_sox({"-R", wav, "-r", "8000", "-e", "mu-law", line, "sinc", "300-3400"});
    const std::vector<float> reference = pitch_track(wav), band = pitch_track(line);
    REQUIRE(reference.size() == band.size());
    for (std::size_t i = 0; i < reference.size(); ++i) {
      if (!(reference[i] > 0.0f && band[i] > 0.0f)) continue;
      ++both;
      const double ratio = band[i] / reference[i];
      if (std::abs(ratio - 1.0) <= 0.2) continue;
      ++gross;
      if (std::abs(ratio / 2.0 - 1.0) <= 0.2) ++octave_high;
      if (std::abs(ratio / 3.0 - 1.0) <= 0.2) ++twelfth_high;
    }
    ++files;
  }
  REQUIRE(files >= 100);
  REQUIRE(both > 10000);
  const double gross_pct = 100.0 * static_cast<double>(gross) / static_cast<double>(both);
  std::printf("IVR voice, sinc 300-3400 + mu-law against as given: %zu files, %zu frames voiced in both, "
              "%.1f %% more than 20 %% apart (x2 %.1f %%, x3 %.1f %%)\n",
              files, both, gross_pct, 100.0 * static_cast<double>(octave_high) / static_cast<double>(both),
              100.0 * static_cast<double>(twelfth_high) / static_cast<double>(both));
  // Measured 13.9 % (it was 29.8 %): the target leaves room for other sox
  // builds' filters, not for the octave errors coming back.
  CHECK(gross_pct <= 16.0);
}
