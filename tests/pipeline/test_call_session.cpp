// CallSession, the one per-call pipeline: on the bundled example call, whatever
// the block sizes, and after reset(), it gives exactly what one pass gives —
// events, timeline and per-speaker totals.

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "app/default_model.h"
#include "dsp/stream_gap.h"
#include "dsp/stream_spec.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "report/call_report.h"
#include "build_paths.h"

using tw::pipeline::CallSession;

namespace {

struct Audio {
  std::vector<float> interleaved;
  int channels = 0;
};

Audio example_call() {
  tw::io::AudioFileSource file(tw::build::source_dir() + "/examples/example_call.wav");
  tw::io::ResamplingSource source(file, tw::dsp::kAnalysisRateHz);
  Audio audio;
  audio.channels = source.format().channels;
  std::vector<float> block(4096 * static_cast<std::size_t>(audio.channels));
  for (std::size_t n; (n = source.read(block)) > 0;) {
    audio.interleaved.insert(audio.interleaved.end(), block.begin(),
                             block.begin() + static_cast<std::ptrdiff_t>(n) * audio.channels);
  }
  return audio;
}

const tw::detect::AgitationModel& model() {
  static const tw::detect::AgitationModel m = tw::app::load_agitation_model();
  return m;
}

// Everything a session produced, as JSON, so two runs compare field by field.
struct Outcome {
  nlohmann::json events = nlohmann::json::array();
  nlohmann::json timeline;
  nlohmann::json totals = nlohmann::json::array();
  std::int64_t windows = 0;
};

class WindowCounter final : public tw::pipeline::FeatureSink {
 public:
  void on_window(tw::features::SpeakerRole, const tw::features::WindowSummary&) override { ++windows; }
  std::int64_t windows = 0;
};

Outcome outcome_of(CallSession& session, const tw::alerts::CollectingSink& events, const WindowCounter& windows) {
  Outcome o;
  for (const tw::alerts::Event& e : events.events()) o.events.push_back(tw::alerts::to_json(e));
  o.timeline = tw::report::call_report_json(session.timeline(), nullptr);
  for (const tw::pipeline::SpeakerReport& r : session.reports()) {
    o.totals.push_back({r.totals.speech_time_s, r.totals.voiced_time_s, r.totals.syllables, r.totals.f0_median_hz,
                        r.totals.loudness_median_db, r.clipped_samples});
  }
  o.windows = windows.windows;
  return o;
}

// Feeds `audio` in blocks of frame counts drawn by `next_block`, then finishes.
template <class NextBlock>
void play(CallSession& session, const Audio& audio, NextBlock next_block) {
  const auto channels = static_cast<std::size_t>(audio.channels);
  const std::size_t frames = audio.interleaved.size() / channels;
  for (std::size_t at = 0; at < frames;) {
    const std::size_t n = std::min(next_block(), frames - at);
    session.process(std::span<const float>(audio.interleaved).subspan(at * channels, n * channels));
    at += n;
  }
  session.finish();
}

}  // namespace

TEST_CASE("CallSession: any block sizes give the same events / timeline and totals", "[pipeline][session]") {
  const Audio audio = example_call();
  const auto roles = tw::pipeline::ChannelLayout{}.roles_for(audio.channels);

  tw::alerts::CollectingSink events_one;
  WindowCounter windows_one;
  CallSession one("example", {}, model(), roles, events_one);
  one.add_tap(windows_one);
  play(one, audio, [&] { return audio.interleaved.size(); });
  const Outcome reference = outcome_of(one, events_one, windows_one);
  // The example escalates and calms down: the comparison is over real detections.
  REQUIRE(reference.events.size() >= 5);
  // Events are numbered 1, 2, ... in the order raised: their identity with the call id.
  for (std::size_t i = 0; i < reference.events.size(); ++i) CHECK(reference.events[i]["seq"] == i + 1);
  REQUIRE(reference.windows >= 2 * 70);
  CHECK(one.duration_s() == Approx(audio.interleaved.size() / 2 / 8000.0));

  std::mt19937 rng(11);
  for (const auto& [lo, hi] : {std::pair<std::size_t, std::size_t>{1, 7}, {1, 400}, {79, 81}, {1000, 9000}}) {
    INFO("block sizes " << lo << ".." << hi << " frames");
    std::uniform_int_distribution<std::size_t> size(lo, hi);
    tw::alerts::CollectingSink events;
    WindowCounter windows;
    CallSession blocks("example", {}, model(), roles, events);
    blocks.add_tap(windows);
    play(blocks, audio, [&] { return size(rng); });
    const Outcome o = outcome_of(blocks, events, windows);
    CHECK(o.events == reference.events);
    CHECK(o.timeline == reference.timeline);
    CHECK(o.totals == reference.totals);
    CHECK(o.windows == reference.windows);
  }
}

TEST_CASE("CallSession: reset() gives a session that behaves like a fresh one", "[pipeline][session]") {
  const Audio audio = example_call();
  const auto roles = tw::pipeline::ChannelLayout{}.roles_for(audio.channels);

  tw::alerts::CollectingSink events_fresh;
  WindowCounter windows_fresh;
  CallSession fresh("example", {}, model(), roles, events_fresh);
  fresh.add_tap(windows_fresh);
  play(fresh, audio, [] { return std::size_t{800}; });
  const Outcome reference = outcome_of(fresh, events_fresh, windows_fresh);

  // A used session: 40 s of the call, finished, then reset and run on the whole call.
  tw::alerts::CollectingSink events_used;
  WindowCounter windows_used;
  CallSession used("example", {}, model(), roles, events_used);
  used.add_tap(windows_used);
  Audio head = audio;
  head.interleaved.resize(40 * 8000 * static_cast<std::size_t>(audio.channels));
  play(used, head, [] { return std::size_t{800}; });
  REQUIRE(!events_used.events().empty());
  used.reset();
  CHECK(used.frames() == 0);
  CHECK(used.timeline().events.empty());
  // Same session object, observed through fresh counters from here on.
  const std::size_t events_before_reset = events_used.events().size();
  const std::int64_t windows_before_reset = windows_used.windows;
  play(used, audio, [] { return std::size_t{800}; });
  Outcome o = outcome_of(used, events_used, windows_used);
  o.events = nlohmann::json(std::vector<nlohmann::json>(o.events.begin() + static_cast<std::ptrdiff_t>(events_before_reset), o.events.end()));
  o.windows -= windows_before_reset;
  CHECK(o.events == reference.events);
  CHECK(o.timeline == reference.timeline);
  CHECK(o.totals == reference.totals);
  CHECK(o.windows == reference.windows);
}

TEST_CASE("CallSession: bad roles are refused naming the problem", "[pipeline][session]") {
  tw::alerts::CollectingSink events;
  using tw::features::SpeakerRole;
  CHECK_THROWS_WITH(CallSession("x", {}, model(), {}, events), Catch::Contains("one or two"));
  CHECK_THROWS_WITH(CallSession("x", {}, model(), {SpeakerRole::agent, SpeakerRole::agent}, events),
                    Catch::Contains("both channels"));
}

TEST_CASE("CallSession: next_summary_frame says the frame count at which each second is judged / gaps included",
          "[pipeline][session]") {
  // A live worker lets audio gather up to this moment and no further (server::WorkerPool):
  // it must be exact, not early (the pump would stop short of the second) nor late.
  const Audio audio = example_call();
  const auto roles = tw::pipeline::ChannelLayout{}.roles_for(audio.channels);
  tw::alerts::CollectingSink events;
  WindowCounter windows;
  CallSession session("example", {}, model(), roles, events);
  session.add_tap(windows);
  const auto channels = static_cast<std::size_t>(audio.channels);
  const std::size_t frames = std::min<std::size_t>(audio.interleaved.size() / channels, 12 * 8000);
  std::int64_t judged = 0;  // seconds whose windows came
  bool gap_done = false;
  for (std::size_t at = 0; at < frames;) {
    const std::int64_t due = session.next_summary_frame();
    REQUIRE(due > session.frames());
    if (!gap_done && session.frames() >= 5 * 8000 + 4321) {
      // A 3.5 s pause skipped in constant time: the seconds inside it are not judged,
      // and the grid after it is the call's time, as before.
      session.skip(28000, tw::dsp::GapKind::paused);
      gap_done = true;
      REQUIRE(session.next_summary_frame() > session.frames());
      judged = windows.windows / static_cast<std::int64_t>(channels);
      continue;
    }
    // Up to one frame before the moment: no new window.
    const auto before = static_cast<std::size_t>(due - session.frames() - 1);
    const std::size_t n = std::min(before, frames - at);
    session.process(std::span<const float>(audio.interleaved).subspan(at * channels, n * channels));
    at += n;
    if (at == frames) break;
    CHECK(windows.windows == judged * static_cast<std::int64_t>(channels));
    // The frame that reaches it: every speaker's window of that second.
    session.process(std::span<const float>(audio.interleaved).subspan(at * channels, channels));
    ++at;
    ++judged;
    INFO("at frame " << session.frames());
    CHECK(windows.windows == judged * static_cast<std::int64_t>(channels));
    CHECK(session.frames() % 8000 == 320);  // 40 ms after a whole second of the call
    CHECK(session.frames() % 8000 == session.summary_lookahead_frames());
  }
  CHECK(gap_done);
  // benchmarks/serve_load counts an alert's latency from the packet that completes this
  // look-ahead (kSummaryLookahead there): a change here must change it there.
  CHECK(session.summary_lookahead_frames() == 320);
  CHECK(judged >= 8);
}
