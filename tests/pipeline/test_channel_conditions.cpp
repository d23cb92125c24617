// Channel conditions of two-channel recordings: identical channels (a mixed call
// saved as stereo) are found within the first seconds and analysed as one mixed
// speaker, whatever the block sizes; the other side leaking into a channel
// (crosstalk, line echo 20-30 dB down) is not speech there. And the taps of a
// session get each window with what detection made of its second.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "app/default_model.h"
#include "dsp/stream_spec.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/call_analyzer.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_comparator.h"
#include "build_paths.h"

using tw::features::SpeakerRole;
using tw::pipeline::CallSession;
using tw::pipeline::ChannelComparator;

namespace {

constexpr int kRate = tw::dsp::kAnalysisRateHz;

std::vector<float> example_interleaved() {
  tw::io::AudioFileSource file(tw::build::source_dir() + "/examples/example_call.wav");
  tw::io::ResamplingSource source(file, kRate);
  REQUIRE(source.format().channels == 2);
  std::vector<float> audio, block(8192);
  for (std::size_t n; (n = source.read(block)) > 0;) audio.insert(audio.end(), block.begin(), block.begin() + 2 * n);
  return audio;
}

std::vector<float> channel(const std::vector<float>& interleaved, std::size_t c) {
  std::vector<float> out(interleaved.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = interleaved[2 * i + c];
  return out;
}

std::vector<float> interleave(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out(2 * a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    out[2 * i] = a[i];
    out[2 * i + 1] = b[i];
  }
  return out;
}

const tw::detect::AgitationModel& model() {
  static const tw::detect::AgitationModel m = tw::app::load_agitation_model();
  return m;
}

std::vector<float> hiss(std::size_t n, double rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, rms);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(gauss(rng));
  return x;
}

// Feeds interleaved stereo in blocks drawn from [lo, hi] frames.
void play(CallSession& session, const std::vector<float>& audio, std::size_t lo, std::size_t hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> size(lo, hi);
  const std::size_t frames = audio.size() / 2;
  for (std::size_t at = 0; at < frames;) {
    const std::size_t n = std::min(size(rng), frames - at);
    session.process(std::span<const float>(audio).subspan(2 * at, 2 * n));
    at += n;
  }
  session.finish();
}

}  // namespace

TEST_CASE("channel comparator: the same signal twice is identical / two lines are not", "[pipeline][channels]") {
  const std::vector<float> audio = example_interleaved();
  const std::vector<float> caller = channel(audio, 0), agent = channel(audio, 1);
  auto compare = [](const std::vector<float>& a, const std::vector<float>& b, std::size_t block) {
    ChannelComparator c(kRate);
    for (std::size_t at = 0; at < a.size() && !c.check().decided; at += block) {
      const std::size_t n = std::min(block, a.size() - at);
      c.add(std::span<const float>(a).subspan(at, n), std::span<const float>(b).subspan(at, n));
    }
    return c.check();
  };
  // A mixed call copied to both channels, one side 6 dB down and re-quantized
  // (independent noise at -70 dBFS).
  std::vector<float> mix(caller.size()), copy(caller.size());
  const std::vector<float> noise = hiss(caller.size(), 3e-4, 5);
  for (std::size_t i = 0; i < mix.size(); ++i) {
    mix[i] = caller[i] + agent[i];
    copy[i] = 0.5f * mix[i] + noise[i];
  }
  for (std::size_t block : {std::size_t{1000}, std::size_t{7}, std::size_t{30000}}) {
    INFO("blocks of " << block);
    const auto same = compare(mix, copy, block);
    CHECK(same.decided);
    CHECK(same.identical);
    CHECK(same.correlation > 0.99f);
    CHECK(same.decided_at_s == Approx(ChannelComparator::kDecisionS));
    const auto lines = compare(caller, agent, block);
    CHECK(lines.decided);
    CHECK_FALSE(lines.identical);
    CHECK(std::fabs(lines.correlation) < 0.2f);
  }
  // Line noise only: one noise copied is identical, two lines' noises are not.
  const std::vector<float> n1 = hiss(4 * kRate, 1e-3, 1), n2 = hiss(4 * kRate, 1e-3, 2);
  CHECK(compare(n1, n1, 512).identical);
  CHECK_FALSE(compare(n1, n2, 512).identical);
  // One side talking with the other leaking 20 dB down into the second channel:
  // as correlated as a copy, but no copy.
  std::vector<float> leak(n1.size());
  for (std::size_t i = 0; i < leak.size(); ++i) leak[i] = 0.1f * caller[i] + n2[i] * 0.01f;
  const auto leaking = compare(std::vector<float>(caller.begin(), caller.begin() + static_cast<std::ptrdiff_t>(leak.size())), leak, 512);
  CHECK(leaking.correlation > 0.9f);
  CHECK(leaking.level_difference_db > 15.0f);
  CHECK_FALSE(leaking.identical);
  // A digitally silent channel: decided, not identical, no correlation.
  const auto silent = compare(n1, std::vector<float>(n1.size(), 0.0f), 512);
  CHECK(silent.decided);
  CHECK_FALSE(silent.identical);
  CHECK(std::isnan(silent.correlation));
}

TEST_CASE("identical channels are analysed as one mixed speaker / with a warning and whatever the blocks",
          "[pipeline][channels]") {
  const std::vector<float> audio = example_interleaved();
  const std::vector<float> caller = channel(audio, 0), agent = channel(audio, 1);
  std::vector<float> mix(caller.size());
  for (std::size_t i = 0; i < mix.size(); ++i) mix[i] = 0.7f * (caller[i] + agent[i]);
  const std::vector<float> stereo = interleave(mix, mix);

  nlohmann::json reference;
  for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{4096, 4096}, {1, 500}, {79, 81}}) {
    INFO("block sizes " << lo << ".." << hi);
    tw::alerts::CollectingSink events;
    CallSession session("mixed", {}, model(), {SpeakerRole::caller, SpeakerRole::agent}, events);
    play(session, stereo, lo, hi, 3);
    CHECK(session.channel_check().identical);
    const auto& timeline = session.timeline();
    CHECK(timeline.channels_identical);
    CHECK(timeline.roles == std::vector<std::string>{"caller"});
    CHECK(timeline.agent.empty());
    REQUIRE(timeline.warnings.size() == 1);
    CHECK(timeline.warnings[0].find("same signal") != std::string::npos);
    CHECK(session.reports().size() == 1);
    nlohmann::json seen = nlohmann::json::array();
    int merged_events = 0;
    for (const auto& e : events.events()) {
      seen.push_back(tw::alerts::to_json(e));
      if (e.type == "channels_identical") {
        ++merged_events;
        CHECK(e.time_s == Approx(ChannelComparator::kDecisionS));
        CHECK(e.severity == tw::alerts::Severity::warning);
      }
      // Two copies of one voice must not read as two people talking over each other.
      CHECK(e.type != "interruption");
    }
    CHECK(merged_events == 1);
    if (reference.is_null()) {
      reference = seen;
    } else {
      CHECK(seen == reference);
    }
  }

  SECTION("the mixed speaker takes the mono role when asked") {
    tw::pipeline::SessionConfig config;
    config.analyzer.merged_role = SpeakerRole::agent;
    tw::alerts::CollectingSink events;
    CallSession session("mixed", config, model(), {SpeakerRole::caller, SpeakerRole::agent}, events);
    play(session, stereo, 4096, 4096, 1);
    CHECK(session.timeline().roles == std::vector<std::string>{"agent"});
    CHECK(session.timeline().caller.empty());
    REQUIRE(session.reports().size() == 1);
    CHECK(session.reports()[0].role == SpeakerRole::agent);
  }
}

namespace {

// Per-hop voice activity of both channels, as the analyzer delivers it.
class VadRecorder final : public tw::pipeline::FeatureSink {
 public:
  bool wants_hops() const noexcept override { return true; }
  void on_hop(SpeakerRole role, const tw::features::HopFeatures& hop) override {
    (role == SpeakerRole::caller ? caller : agent).push_back(hop.vad);
  }
  std::vector<bool> caller, agent;
};

VadRecorder vad_of(const std::vector<float>& stereo) {
  tw::pipeline::CallAnalyzer analyzer({}, {SpeakerRole::caller, SpeakerRole::agent});
  VadRecorder r;
  analyzer.process(stereo, r);
  return r;
}

}  // namespace

TEST_CASE("the other side leaking into a channel 20-30 dB down is not speech there", "[pipeline][channels][vad]") {
  const std::vector<float> audio = example_interleaved();
  const std::vector<float> caller = channel(audio, 0), agent = channel(audio, 1);
  const VadRecorder clean = vad_of(audio);

  for (const auto& [loss_db, delay_ms] : {std::pair{20.0, 0.0}, {25.0, 30.0}, {30.0, 8.0}}) {
    INFO("leakage " << loss_db << " dB down, delayed " << delay_ms << " ms");
    const float gain = static_cast<float>(std::pow(10.0, -loss_db / 20.0));
    const auto delay = static_cast<std::size_t>(delay_ms * kRate / 1000.0);
    std::vector<float> a = caller, b = agent;
    for (std::size_t i = delay; i < a.size(); ++i) {
      a[i] += gain * agent[i - delay];
      b[i] += gain * caller[i - delay];
    }
    const VadRecorder leaky = vad_of(interleave(a, b));
    REQUIRE(leaky.caller.size() == clean.caller.size());
    // Hops where only the other side spoke in the clean call: leakage must not be speech.
    std::size_t other_only = 0, leaked = 0, own = 0, own_kept = 0;
    for (int side = 0; side < 2; ++side) {
      const auto& mine = side == 0 ? clean.caller : clean.agent;
      const auto& theirs = side == 0 ? clean.agent : clean.caller;
      const auto& now = side == 0 ? leaky.caller : leaky.agent;
      for (std::size_t h = 0; h < mine.size(); ++h) {
        if (theirs[h] && !mine[h]) {
          ++other_only;
          leaked += now[h] ? 1 : 0;
        }
        if (mine[h]) {
          ++own;
          own_kept += now[h] ? 1 : 0;
        }
      }
    }
    std::printf("crosstalk %.0f dB down, %.0f ms: %zu of %zu hops of the other side alone called speech, %.1f %% of own "
                "speech kept\n",
                loss_db, delay_ms, leaked, other_only, 100.0 * own_kept / own);
    REQUIRE(other_only > 2000);
    CHECK(leaked <= other_only / 50);  // at most 2 %
    CHECK(own_kept >= own * 97 / 100);
  }
}

namespace {

class VerdictRecorder final : public tw::pipeline::FeatureSink {
 public:
  void on_judged_window(SpeakerRole role, const tw::features::WindowSummary& window,
                        const tw::pipeline::WindowVerdict& verdict) override {
    rows.push_back({role, window.end_time_s, verdict.agitation_score, verdict.agitation_level, std::string(verdict.stage)});
  }
  struct Row {
    SpeakerRole role;
    double end_s;
    float score, level;
    std::string stage;
  };
  std::vector<Row> rows;
};

}  // namespace

TEST_CASE("taps get each window with its second's agitation and stage", "[pipeline][session]") {
  const std::vector<float> audio = example_interleaved();
  tw::alerts::CollectingSink events;
  VerdictRecorder tap;
  CallSession session("example", {}, model(), {SpeakerRole::caller, SpeakerRole::agent}, events);
  session.add_tap(tap);
  play(session, audio, 100, 3000, 9);
  const auto& caller = session.timeline().caller;
  std::size_t k = 0, scored = 0;
  bool saw_agitated_stage = false;
  for (const auto& row : tap.rows) {
    CHECK_FALSE(row.stage.empty());
    saw_agitated_stage = saw_agitated_stage || row.stage != "calm";
    if (row.role != SpeakerRole::caller) continue;
    REQUIRE(k < caller.size());
    // The row is the timeline's second of the same window.
    CHECK(caller[k].time_s == Approx(row.end_s));
    CHECK(row.level == caller[k].agitation);
    CHECK(std::isnan(row.score) == !caller[k].scored);
    if (caller[k].scored) {
      CHECK(row.score == caller[k].score);
      ++scored;
    }
    ++k;
  }
  CHECK(k == caller.size());
  CHECK(scored >= 30);
  CHECK(saw_agitated_stage);  // the example escalates
}
