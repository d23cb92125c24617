// TrackJoiner: live tracks joined into the session's frames by sample counts.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <limits>
#include <vector>

#include "pipeline/track_joiner.h"

using tw::features::SpeakerRole;
using tw::pipeline::LiveTrack;
using tw::pipeline::TrackJoiner;

namespace {

// Distinct, exactly representable sample values per track and position.
float caller_sample(std::size_t n) { return static_cast<float>(n % 30000) / 32768.0f; }
float agent_sample(std::size_t n) { return -static_cast<float>(n % 30000 + 1) / 32768.0f; }

std::vector<float> mono(std::size_t frames, float (*f)(std::size_t), std::size_t from = 0) {
  std::vector<float> v(frames);
  for (std::size_t i = 0; i < frames; ++i) v[i] = f(from + i);
  return v;
}

struct Collected {
  std::vector<float> frames;
  void operator()(std::span<const float> block) { frames.insert(frames.end(), block.begin(), block.end()); }
};

}  // namespace

TEST_CASE("TrackJoiner: two 8 kHz tracks in random blocks come out sample-aligned / caller left", "[pipeline][joiner]") {
  // The agent's track is track 0: the session still gets the caller on channel 0.
  TrackJoiner joiner({{8000, {SpeakerRole::agent}}, {8000, {SpeakerRole::caller}}}, 0.5);
  REQUIRE(joiner.roles() == std::vector<SpeakerRole>{SpeakerRole::caller, SpeakerRole::agent});
  constexpr std::size_t kFrames = 40000;
  const std::vector<float> agent = mono(kFrames, agent_sample), caller = mono(kFrames, caller_sample);
  Collected out;
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::size_t> size(1, 600);
  std::size_t at[2] = {0, 0};
  while (at[0] < kFrames || at[1] < kFrames) {
    // The two tracks take turns unevenly, as packets of two sockets do, but never more than 0.3 s apart.
    const std::size_t track = (at[0] < at[1] ? 0 : 1) ^ (rng() % 4 == 0 ? 1 : 0);
    if (at[track] >= kFrames || at[track] > at[1 - track] + 2400) continue;
    const std::size_t n = std::min(size(rng), kFrames - at[track]);
    const std::vector<float>& src = track == 0 ? agent : caller;
    joiner.push(track, std::span<const float>(src).subspan(at[track], n), out);
    at[track] += n;
  }
  joiner.finish(out);
  REQUIRE(out.frames.size() == 2 * kFrames);
  std::size_t wrong = 0;
  for (std::size_t n = 0; n < kFrames; ++n) {
    wrong += out.frames[2 * n] != caller_sample(n);
    wrong += out.frames[2 * n + 1] != agent_sample(n);
  }
  CHECK(wrong == 0);
  CHECK(joiner.counters(0).stall_fill_frames == 0);
  CHECK(joiner.counters(1).stall_fill_frames == 0);
  CHECK(joiner.frames_out() == static_cast<std::int64_t>(kFrames));
}

TEST_CASE("TrackJoiner: one stereo track agent-left is reordered caller-left", "[pipeline][joiner]") {
  TrackJoiner joiner({{8000, {SpeakerRole::agent, SpeakerRole::caller}}}, 0.5);
  std::vector<float> stereo;
  for (std::size_t n = 0; n < 1000; ++n) {
    stereo.push_back(agent_sample(n));
    stereo.push_back(caller_sample(n));
  }
  Collected out;
  joiner.push(0, stereo, out);
  joiner.finish(out);
  REQUIRE(out.frames.size() == 2000);
  for (std::size_t n = 0; n < 1000; ++n) {
    CHECK(out.frames[2 * n] == caller_sample(n));
    CHECK(out.frames[2 * n + 1] == agent_sample(n));
  }
}

TEST_CASE("TrackJoiner: a stalled track is filled after max_skew and its late audio dropped / counted", "[pipeline][joiner]") {
  TrackJoiner joiner({{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}}, 0.5);  // 4000 frames
  Collected out;
  joiner.push(0, mono(16000, caller_sample), out);
  // The caller is 2 s ahead: analysis went on for 1.5 s with the agent silent.
  REQUIRE(out.frames.size() == 2 * 12000);
  for (std::size_t n = 0; n < 12000; ++n) {
    CHECK(out.frames[2 * n] == caller_sample(n));
    CHECK(out.frames[2 * n + 1] == 0.0f);
  }
  CHECK(joiner.counters(1).stall_fill_frames == 12000);
  // The agent's audio now arrives from the start: what was filled is dropped, the rest lines up.
  joiner.push(1, mono(16000, agent_sample), out);
  CHECK(joiner.counters(1).late_dropped_frames == 12000);
  REQUIRE(out.frames.size() == 2 * 16000);
  for (std::size_t n = 12000; n < 16000; ++n) {
    CHECK(out.frames[2 * n] == caller_sample(n));
    CHECK(out.frames[2 * n + 1] == agent_sample(n));
  }
}

TEST_CASE("TrackJoiner: a track that ended is silence / not a stall", "[pipeline][joiner]") {
  TrackJoiner joiner({{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}}, 0.5);
  Collected out;
  joiner.push(1, mono(1000, agent_sample), out);
  joiner.end_track(1, out);  // the agent's leg hung up
  CHECK(out.frames.empty());  // the caller has not sent anything yet
  joiner.push(0, mono(3000, caller_sample), out);
  REQUIRE(out.frames.size() == 2 * 3000);
  for (std::size_t n = 0; n < 3000; ++n) {
    CHECK(out.frames[2 * n] == caller_sample(n));
    CHECK(out.frames[2 * n + 1] == (n < 1000 ? agent_sample(n) : 0.0f));
  }
  CHECK(joiner.counters(1).stall_fill_frames == 0);
  joiner.finish(out);
  CHECK(out.frames.size() == 2 * 3000);
}

TEST_CASE("TrackJoiner: tracks at 16 and 8 kHz are converted and kept in step", "[pipeline][joiner]") {
  // A 200 Hz tone on each; after conversion both channels are the same tone, in phase.
  TrackJoiner joiner({{16000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}}, 0.5);
  constexpr double kPi = 3.14159265358979323846;
  std::vector<float> wide(32000), narrow(16000);
  for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = 0.5f * static_cast<float>(std::sin(2 * kPi * 200 * i / 16000.0));
  for (std::size_t i = 0; i < narrow.size(); ++i) narrow[i] = 0.5f * static_cast<float>(std::sin(2 * kPi * 200 * i / 8000.0));
  Collected out;
  for (std::size_t b = 0; b < 20; ++b) {
    joiner.push(0, std::span<const float>(wide).subspan(b * 1600, 1600), out);
    joiner.push(1, std::span<const float>(narrow).subspan(b * 800, 800), out);
  }
  joiner.finish(out);
  // 2 s of audio on both sides; the converter's delay is drained at the end.
  CHECK(out.frames.size() / 2 == Approx(16000).margin(16));
  // Past the converter's start-up, the two channels agree (its delay is compensated by libsoxr).
  double worst = 0.0;
  for (std::size_t n = 2000; n < 14000; ++n) worst = std::max(worst, std::fabs(double(out.frames[2 * n]) - out.frames[2 * n + 1]));
  CHECK(worst < 0.02);
  CHECK(joiner.counters(0).stall_fill_frames + joiner.counters(1).stall_fill_frames == 0);
}

TEST_CASE("TrackJoiner: waiting audio is kept to the nearest 16-bit step / 16-bit input passes exactly",
          "[pipeline][joiner]") {
  // The agent is held back by the caller's late start, so every agent sample waits in the queue.
  TrackJoiner joiner({{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}}, 0.5);
  const std::vector<float> agent = {0.1f, -0.1f, 0.49999f, 1.5f, -1.5f, 3.0f / 32768.0f, 1e-7f, -2e-5f,
                                    std::numeric_limits<float>::quiet_NaN()};
  const std::vector<float> want = {3277.0f / 32768.0f, -3277.0f / 32768.0f, 16384.0f / 32768.0f, 32767.0f / 32768.0f,
                                   -1.0f, 3.0f / 32768.0f, 0.0f, -1.0f / 32768.0f, 0.0f};
  Collected out;
  joiner.push(1, agent, out);
  CHECK(out.frames.empty());  // the caller has not sent anything yet
  joiner.push(0, mono(agent.size(), caller_sample), out);
  REQUIRE(out.frames.size() == 2 * agent.size());
  for (std::size_t n = 0; n < agent.size(); ++n) {
    CAPTURE(n, agent[n]);
    CHECK(out.frames[2 * n] == caller_sample(n));
    CHECK(out.frames[2 * n + 1] == want[n]);
  }
}

TEST_CASE("TrackJoiner: bad track layouts are refused", "[pipeline][joiner]") {
  CHECK_THROWS_AS(TrackJoiner({}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(TrackJoiner({{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::caller}}}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(TrackJoiner({{4000, {SpeakerRole::caller}}}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(TrackJoiner({{8000, {}}}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(TrackJoiner({{8000, {SpeakerRole::caller}}}, 0.0), std::invalid_argument);
}

TEST_CASE("TrackJoiner: 16-bit samples pushed as they are give the frames their floats give / gaps and a stall alike",
          "[pipeline][joiner]") {
  // Two joiners fed the same audio in the same random blocks, one as floats and one
  // as the 16-bit samples they came from (push_pcm16, a network leg's path), with a
  // gap in each track and the agent stalling past max_skew: every frame, gap and
  // counter must match.
  const LiveTrack caller{8000, {SpeakerRole::caller}}, agent{8000, {SpeakerRole::agent}};
  TrackJoiner floats({caller, agent}, 0.25), pcm16({caller, agent}, 0.25);
  REQUIRE(pcm16.takes_pcm16(0));
  REQUIRE(pcm16.takes_pcm16(1));
  Collected out_floats, out_pcm16;
  std::vector<std::int64_t> gaps_floats, gaps_pcm16;
  const auto on_gap = [](std::vector<std::int64_t>& into) {
    return [&into](std::int64_t n, tw::dsp::GapKind) { into.push_back(n); };
  };
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::size_t> size(1, 700);
  std::size_t at[2] = {0, 0};
  constexpr std::size_t kFrames = 30000;
  int step = 0;
  while (at[0] < kFrames || at[1] < kFrames) {
    ++step;
    std::size_t track = rng() % 2;
    if (at[track] >= kFrames) track = 1 - track;
    // The agent stalls for a while (the caller runs 1 s ahead), then catches up.
    if (track == 1 && at[0] > 8000 && at[0] < 20000 && at[1] > 6000) track = 0;
    if (step % 37 == 0) {
      const auto g = static_cast<std::int64_t>(rng() % 900 + 1);
      floats.gap(track, g, tw::dsp::GapKind::lost, out_floats, on_gap(gaps_floats));
      pcm16.gap(track, g, tw::dsp::GapKind::lost, out_pcm16, on_gap(gaps_pcm16));
      at[track] += static_cast<std::size_t>(g);
      continue;
    }
    const std::size_t n = std::min(size(rng), kFrames - std::min(kFrames, at[track]));
    if (n == 0) continue;
    std::vector<float> f(n);
    std::vector<std::int16_t> s(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = static_cast<std::int16_t>(static_cast<int>((at[track] + i) * (track == 0 ? 7 : 13) % 60001) - 30000);
      f[i] = static_cast<float>(s[i]) / 32768.0f;
    }
    floats.push(track, std::span<const float>(f), out_floats, on_gap(gaps_floats));
    pcm16.push_pcm16(track, std::span<const std::int16_t>(s), out_pcm16, on_gap(gaps_pcm16));
    at[track] += n;
  }
  floats.finish(out_floats, on_gap(gaps_floats));
  pcm16.finish(out_pcm16, on_gap(gaps_pcm16));
  REQUIRE(out_floats.frames.size() > 2 * 20000);
  CHECK(out_pcm16.frames == out_floats.frames);
  CHECK(gaps_pcm16 == gaps_floats);
  CHECK(pcm16.frames_out() == floats.frames_out());
  CHECK(floats.counters(1).stall_fill_frames > 0);  // the stall happened
  for (std::size_t t = 0; t < 2; ++t) {
    CHECK(pcm16.counters(t).stall_fill_frames == floats.counters(t).stall_fill_frames);
    CHECK(pcm16.counters(t).late_dropped_frames == floats.counters(t).late_dropped_frames);
  }
  // A resampled track does not take 16-bit samples as they are.
  const TrackJoiner mixed({{16000, {SpeakerRole::caller}}, agent}, 0.25);
  CHECK_FALSE(mixed.takes_pcm16(0));
  CHECK(mixed.takes_pcm16(1));
}
