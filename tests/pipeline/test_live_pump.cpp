// The analysis side of a live call: inputs read in turns into the joiner, tracks
// ended as their inputs drain, and two devices' clocks kept in step.

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "dsp/resampler.h"
#include "io/capture_buffer.h"
#include "pipeline/live_pump.h"

using tw::features::SpeakerRole;
using tw::pipeline::LivePump;

namespace {

// A device simulated on a virtual clock: at time t it has delivered
// floor(t * rate * (1 + drift)) frames of `samples`; its callbacks' stamps arrive up
// to 4 ms late, as scheduling makes them.
class SimulatedDevice final : public tw::io::LiveInput {
 public:
  SimulatedDevice(std::vector<float> samples, int rate_hz, double drift_ppm, std::uint32_t seed)
      : samples_(std::move(samples)), rate_hz_(rate_hz), true_rate_(rate_hz * (1.0 + drift_ppm * 1e-6)), rng_(seed) {}
  void advance_to(double t_s) {
    now_s_ = t_s;
    delivered_ = std::min<std::size_t>(samples_.size(), static_cast<std::size_t>(t_s * true_rate_));
    stamp_ns_ = static_cast<std::int64_t>((t_s + late_(rng_)) * 1e9);
  }
  int sample_rate_hz() const noexcept override { return rate_hz_; }
  std::size_t channels() const noexcept override { return 1; }
  std::size_t read(std::span<float> out) noexcept override {
    const std::size_t n = std::min(out.size(), delivered_ - read_);
    for (std::size_t i = 0; i < n; ++i) out[i] = samples_[read_ + i];
    read_ += n;
    return n;
  }
  bool drained() const noexcept override { return delivered_ == samples_.size() && read_ == delivered_; }
  bool clock_stamp(tw::io::ClockStamp& stamp) const noexcept override {
    if (delivered_ == 0) return false;
    stamp = {stamp_ns_, delivered_};
    return true;
  }

 private:
  std::vector<float> samples_;
  int rate_hz_;
  double true_rate_;
  std::mt19937 rng_;
  std::uniform_real_distribution<double> late_{0.0, 0.004};
  double now_s_ = 0.0;
  std::size_t delivered_ = 0, read_ = 0;
  std::int64_t stamp_ns_ = 0;
};

// A click every second of true time, as a device whose clock runs drift_ppm fast records it.
std::vector<float> clicks(double seconds, int rate_hz, double drift_ppm) {
  const double rate = rate_hz * (1.0 + drift_ppm * 1e-6);
  std::vector<float> x(static_cast<std::size_t>(seconds * rate), 0.0f);
  for (int s = 1; s < static_cast<int>(seconds); ++s) x[static_cast<std::size_t>(std::lround(s * rate))] = 1.0f;
  return x;
}

std::vector<std::size_t> click_frames(const std::vector<float>& joined, std::size_t channel) {
  std::vector<std::size_t> at;
  for (std::size_t f = 0; f < joined.size() / 2; ++f) {
    if (joined[f * 2 + channel] > 0.5f) at.push_back(f);
  }
  return at;
}

// Runs two simulated devices (agent first, the reference; caller second) for `seconds`.
struct TwoDeviceRun {
  std::vector<float> joined;  // caller, agent
  tw::pipeline::PumpInputCounters caller;
  double relative_ppm = 0.0;
};
TwoDeviceRun run_two_devices(double caller_drift_ppm, bool correct, double seconds) {
  SimulatedDevice agent(clicks(seconds, 8000, 0.0), 8000, 0.0, 1);
  SimulatedDevice caller(clicks(seconds, 8000, caller_drift_ppm), 8000, caller_drift_ppm, 2);
  tw::pipeline::PumpOptions options;
  options.correct_drift = correct;
  LivePump pump({&agent, &caller}, {{SpeakerRole::agent}, {SpeakerRole::caller}}, options);
  TwoDeviceRun run;
  const auto keep = [&](std::span<const float> block) { run.joined.insert(run.joined.end(), block.begin(), block.end()); };
  for (double t = 0.0; !pump.finished(); t += 0.02) {
    agent.advance_to(t);
    caller.advance_to(t);
    pump.pump(false, keep);
    REQUIRE(t < seconds + 5.0);
  }
  run.caller = pump.counters(1);
  run.relative_ppm = pump.relative_drift_ppm();
  return run;
}

}  // namespace

TEST_CASE("LivePump joins inputs at their own rates into caller-first frames and ends when they drain",
          "[pipeline][pump]") {
  // A caller at 8 kHz (passed through) and an agent at 16 kHz (resampled), filled in
  // advance as a device's ring would be after a busy moment.
  tw::io::CaptureBuffer agent(16000, 1, 10.0), caller(8000, 1, 10.0);
  std::vector<float> a(16000 * 3), c(8000 * 3);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.3f * std::sin(2.0f * 3.14159265f * 440.0f * static_cast<float>(i) / 16000.0f);
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(i % 100) / 1000.0f;
  agent.write(a);
  caller.write(c);
  LivePump pump({&agent, &caller}, {{SpeakerRole::agent}, {SpeakerRole::caller}}, {});
  REQUIRE(pump.roles() == std::vector<SpeakerRole>{SpeakerRole::caller, SpeakerRole::agent});
  std::vector<float> joined;
  const auto keep = [&](std::span<const float> block) { joined.insert(joined.end(), block.begin(), block.end()); };
  CHECK(pump.pump(false, keep) == 0b11u);
  CHECK_FALSE(pump.finished());  // the devices have not ended
  agent.end();
  caller.end();
  pump.pump(false, keep);
  CHECK(pump.finished());
  CHECK(pump.counters(0).frames_read == a.size());
  CHECK(pump.counters(1).frames_read == c.size());
  CHECK(pump.counters(0).join.stall_fill_frames == 0);
  CHECK(pump.counters(1).join.stall_fill_frames == 0);
  // The agent's 16 kHz comes out as the resampler makes it in one piece.
  std::vector<float> expected;
  tw::dsp::Resampler resampler(16000, 8000, 1);
  const auto append = [&](std::span<const float> x) { expected.insert(expected.end(), x.begin(), x.end()); };
  resampler.process(a, append);
  resampler.flush(append);
  REQUIRE(joined.size() == 2 * std::max(c.size(), expected.size()));
  // The joiner keeps 16-bit samples: each comes out within half a 16-bit step.
  constexpr double kHalfStep = 0.5 / 32768.0;
  std::size_t caller_wrong = 0;
  double agent_error = 0.0;
  for (std::size_t f = 0; f < c.size(); ++f) caller_wrong += std::abs(double(joined[2 * f]) - c[f]) > kHalfStep * 1.001;
  for (std::size_t f = 0; f < expected.size(); ++f) agent_error = std::max(agent_error, std::abs(double(joined[2 * f + 1]) - expected[f]));
  CHECK(caller_wrong == 0);
  CHECK(agent_error <= kHalfStep * 1.001);
}

TEST_CASE("LivePump stopping ends every track at once / what is buffered is still analysed", "[pipeline][pump]") {
  tw::io::CaptureBuffer tap(8000, 2, 1.0);
  const std::vector<float> audio(2 * 4000, 0.25f);
  tap.write(audio);
  LivePump pump({&tap}, {{SpeakerRole::caller, SpeakerRole::agent}}, {});
  std::size_t frames = 0;
  pump.pump(true, [&](std::span<const float> block) { frames += block.size() / 2; });
  CHECK(pump.finished());
  CHECK(frames == 4000);
}

TEST_CASE("LivePump rejects inputs whose channels do not match their roles", "[pipeline][pump]") {
  tw::io::CaptureBuffer stereo(8000, 2, 1.0);
  CHECK_THROWS_AS(LivePump({&stereo}, {{SpeakerRole::caller}}, {}), std::invalid_argument);
  CHECK_THROWS_AS(LivePump({&stereo}, {}, {}), std::invalid_argument);
  CHECK_THROWS_AS(LivePump({nullptr}, {{SpeakerRole::caller}}, {}), std::invalid_argument);
  tw::io::CaptureBuffer a(8000, 1, 1.0), b(8000, 1, 1.0);
  CHECK_THROWS_AS(LivePump({&a, &b}, {{SpeakerRole::caller}, {SpeakerRole::caller}}, {}), std::invalid_argument);
}

TEST_CASE("two devices 300 ppm apart slide apart by sample counts alone / the pump keeps them in step",
          "[pipeline][pump][drift]") {
  constexpr double kDriftPpm = 300.0, kSeconds = 120.0;
  const TwoDeviceRun plain = run_two_devices(kDriftPpm, false, kSeconds);
  const TwoDeviceRun kept = run_two_devices(kDriftPpm, true, kSeconds);
  // The relative drift is measured either way.
  CHECK(plain.relative_ppm == Approx(kDriftPpm).margin(5.0));
  CHECK(kept.relative_ppm == Approx(kDriftPpm).margin(5.0));
  // Clicks made at the same true time: frame n of the caller and of the agent.
  for (const TwoDeviceRun* run : {&plain, &kept}) {
    const auto caller = click_frames(run->joined, 0), agent = click_frames(run->joined, 1);
    REQUIRE(caller.size() >= 100);
    REQUIRE(agent.size() >= 100);
    const auto offset = [&](std::size_t k) { return static_cast<long>(caller[k]) - static_cast<long>(agent[k]); };
    const long last = offset(std::min(caller.size(), agent.size()) - 1);
    if (run == &plain) {
      // 300 ppm of 8 kHz for ~118 s: the caller's clicks come ~280 frames (35 ms) late.
      CHECK(last > 250);
      CHECK(run->caller.drift_dropped_frames == 0);
    } else {
      // Once measured (after drift_settle_s, 30 s) the caller follows the agent's clock
      // from the start: every click from 40 s on within two frames (the estimate's
      // error then is a few ppm: about a frame over 40 s at 8 kHz, plus rounding).
      for (std::size_t k = 40; k < std::min(caller.size(), agent.size()); ++k) {
        INFO("click " << k);
        CHECK(std::abs(offset(k)) <= 2);
      }
      CHECK(run->caller.drift_dropped_frames == Approx(kDriftPpm * 1e-6 * 8000 * kSeconds).epsilon(0.05));
      CHECK(run->caller.drift_repeated_frames == 0);
    }
  }
}

TEST_CASE("a device running slow has frames repeated to follow the reference", "[pipeline][pump][drift]") {
  const TwoDeviceRun kept = run_two_devices(-150.0, true, 60.0);
  const auto caller = click_frames(kept.joined, 0), agent = click_frames(kept.joined, 1);
  REQUIRE(std::min(caller.size(), agent.size()) >= 50);
  const std::size_t k = std::min(caller.size(), agent.size()) - 1;
  CHECK(std::abs(static_cast<long>(caller[k]) - static_cast<long>(agent[k])) <= 2);
  CHECK(kept.caller.drift_repeated_frames == Approx(150e-6 * 8000 * 60.0).epsilon(0.1));
  CHECK(kept.caller.drift_dropped_frames == 0);
}

TEST_CASE("two devices on one clock are left alone", "[pipeline][pump][drift]") {
  const TwoDeviceRun same = run_two_devices(0.0, true, 60.0);
  CHECK(same.caller.drift_dropped_frames + same.caller.drift_repeated_frames == 0);
  CHECK(std::abs(same.relative_ppm) < 5.0);
}
