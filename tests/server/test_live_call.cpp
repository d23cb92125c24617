// LiveCall, CallRegistry and WorkerPool without sockets: legs written from their
// own threads the way connections write them, analysed by the pool, compared with
// the batch pipeline on the same audio.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "alerts/event_sink.h"
#include "app/default_model.h"
#include "batch/call_job.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "server/call_registry.h"
#include "server/worker_pool.h"
#include "support/shared_data.h"
#include "build_paths.h"

using tw::features::SpeakerRole;
using namespace std::chrono_literals;

namespace {

const tw::detect::AgitationModel& model() {
  static const tw::detect::AgitationModel m = tw::app::load_agitation_model();
  return m;
}

std::string example_path() { return tw::build::source_dir() + "/examples/example_call.wav"; }

// The example call as two mono channels at 8 kHz.
struct Channels {
  std::vector<float> caller, agent;
};
Channels example_channels() {
  tw::io::AudioFileSource file(example_path());
  std::vector<float> all = tw::io::read_all(file);
  Channels c;
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    c.caller.push_back(all[i]);
    c.agent.push_back(all[i + 1]);
  }
  return c;
}

std::vector<nlohmann::json> events_of(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Writes `samples` into a leg in 20 ms packets, faster than real time but, like a
// real call's legs, never more than 0.1 s of call time ahead of the other leg
// (`mine` and `other` are the two legs' positions).
void play_leg(tw::server::LegInput& leg, const std::vector<float>& samples, std::atomic<std::size_t>& mine,
              const std::atomic<std::size_t>& other) {
  constexpr std::size_t kPacket = 160;
  for (std::size_t at = 0; at < samples.size(); at += kPacket) {
    const std::size_t n = std::min(kPacket, samples.size() - at);
    // Wait for room rather than overflow, and for the other leg: this test is about equality, not load.
    while (leg.available_frames() + n > leg.capacity_frames() * 3 / 4 || at > other.load() + 800) {
      std::this_thread::sleep_for(100us);
    }
    leg.write(std::span<const float>(samples).subspan(at, n));
    mine = at + n;
  }
  mine = SIZE_MAX / 2;  // ended: never holds the other back
  leg.end();
}

void play_leg(tw::server::LegInput& leg, const std::vector<float>& samples) {
  std::atomic<std::size_t> mine{0};
  const std::atomic<std::size_t> other{SIZE_MAX / 2};
  play_leg(leg, samples, mine, other);
}

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("tw-live-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A registry of calls with one worker, as serve makes them, writing each call's
// outputs into a scratch folder named `name`.
struct Rig {
  explicit Rig(const std::string& name, double second_leg_wait_s = 0.0, double block_s = 0.0)
      : settings(settings_for(name, second_leg_wait_s)),
        pool(1, metrics, {}, tw::server::WorkerPool::kPollS, block_s),
        registry(settings, hub, pool, metrics, 10) {}
  static tw::server::CallSettings settings_for(const std::string& name, double second_leg_wait_s) {
    tw::server::CallSettings s;
    s.model = &model();
    s.output.dir = scratch(name);
    if (second_leg_wait_s > 0.0) s.second_leg_wait_s = second_leg_wait_s;
    return s;
  }
  tw::server::Metrics metrics;
  tw::server::CallSettings settings;
  tw::alerts::CollectingSink hub;
  tw::server::WorkerPool pool;
  tw::server::CallRegistry registry;
};

// The example call on a Twilio-like two-leg call whose worker lets packets gather
// into blocks of `block_s`, fed by the test 20 ms at a time.
struct BlockedCall {
  BlockedCall(const std::string& name, double block_s) : audio(example_channels()), rig(name, 0.0, block_s) {
    opened = rig.registry.open_leg("twilio", "CA-" + name, {},
                                   {{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}}, true);
    REQUIRE(opened.call);
  }
  tw::server::LiveCall& call() { return *opened.call; }
  /// n packets of 20 ms on both legs.
  void packets(std::size_t n) {
    for (std::size_t k = 0; k < n; ++k, at += 160) {
      call().leg(opened.first_leg).write(std::span<const float>(audio.caller).subspan(at, 160));
      call().leg(opened.first_leg + 1).write(std::span<const float>(audio.agent).subspan(at, 160));
    }
  }
  /// The frames analysed once `frames` were, or when `limit` has passed.
  std::uint64_t wait_for(std::uint64_t frames, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (call().analysed_frames() < frames && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    return call().analysed_frames();
  }
  Channels audio;
  Rig rig;
  tw::server::LegHandle opened;
  std::size_t at = 0;
};

}  // namespace

TEST_CASE("a live call fed by two legs gives the batch outputs of the same audio", "[server][live]") {
  const Channels audio = example_channels();
  const std::string batch_dir = scratch("batch"), live_dir = scratch("live"), record_dir = scratch("rec");

  tw::batch::CallJobOptions job;
  job.model = &model();
  job.output.dir = batch_dir;
  const auto batch = tw::batch::analyze_call(example_path(), "call1", job);
  REQUIRE(batch.status == tw::batch::CallResult::Status::analysed);

  tw::server::Metrics metrics;
  tw::server::CallSettings settings;
  settings.model = &model();
  settings.output.dir = live_dir;
  settings.record_dir = record_dir;
  tw::alerts::CollectingSink hub;
  std::atomic<int> finished{0};
  // Analysed as each packet comes, and with packets let gather into 60 and 500 ms blocks.
  const double block_s = GENERATE(0.0, 0.06, 0.5);
  CAPTURE(block_s);
  {
    tw::server::WorkerPool pool(2, metrics, [&](const std::shared_ptr<tw::server::LiveCall>&) { ++finished; },
                                tw::server::WorkerPool::kPollS,
                                block_s);
    tw::server::CallRegistry registry(settings, hub, pool, metrics, 10);
    // The agent's leg comes first; the caller's joins it by the platform call key.
    auto agent = registry.open_leg("audiosocket", "call1", {{"agent_id", "a-7"}}, {{8000, {SpeakerRole::agent}}}, false);
    REQUIRE(agent.call);
    auto caller = registry.open_leg("audiosocket", "call1", {}, {{8000, {SpeakerRole::caller}}}, false);
    REQUIRE(caller.call == agent.call);
    // A third leg for a party already there is refused.
    CHECK_FALSE(registry.open_leg("audiosocket", "call1", {}, {{8000, {SpeakerRole::caller}}}, false).call);
    std::atomic<std::size_t> agent_at{0}, caller_at{0};
    std::thread a([&] { play_leg(agent.call->leg(agent.first_leg), audio.agent, agent_at, caller_at); });
    std::thread c([&] { play_leg(caller.call->leg(caller.first_leg), audio.caller, caller_at, agent_at); });
    a.join();
    c.join();
    REQUIRE(pool.wait_idle(60.0));
  }
  REQUIRE(finished == 1);

  const auto batch_events = events_of(batch_dir + "/call1.events.jsonl");
  const auto live_events = events_of(live_dir + "/call1.events.jsonl");
  REQUIRE(batch_events.size() >= 5);
  CHECK(live_events == batch_events);
  // The same events reached the hub, in order.
  REQUIRE(hub.events().size() == live_events.size());
  for (std::size_t i = 0; i < live_events.size(); ++i) CHECK(tw::alerts::to_json(hub.events()[i]) == live_events[i]);

  std::ifstream bs(batch_dir + "/call1.summary.json"), ls(live_dir + "/call1.summary.json");
  const auto bsum = nlohmann::json::parse(bs), lsum = nlohmann::json::parse(ls);
  CHECK(lsum["speakers"] == bsum["speakers"]);
  CHECK(lsum["detection"] == bsum["detection"]);
  CHECK(lsum["input"]["live"] == true);
  CHECK(lsum["input"]["metadata"]["agent_id"] == "a-7");
  CHECK(lsum["input"]["overflowed_frames"] == 0);
  CHECK(std::filesystem::exists(live_dir + "/call1.report.html"));
  std::ifstream bw(batch_dir + "/call1.windows.csv"), lw(live_dir + "/call1.windows.csv");
  CHECK(std::string(std::istreambuf_iterator<char>(lw), {}) == std::string(std::istreambuf_iterator<char>(bw), {}));

  // The recording re-runs in batch to the same events.
  job.output.dir = scratch("rerun");
  const auto rerun = tw::batch::analyze_call(record_dir + "/call1.wav", "call1", job);
  REQUIRE(rerun.status == tw::batch::CallResult::Status::analysed);
  CHECK(events_of(job.output.dir + "/call1.events.jsonl") == batch_events);
}

TEST_CASE("a second leg that comes after the call started joins it in progress / its party's earlier time is silence",
          "[server][live]") {
  const Channels audio = example_channels();
  Rig rig("late-join", 0.2);
  auto caller = rig.registry.open_leg("twilio", "CA1", {}, {{8000, {SpeakerRole::caller}}}, false);
  REQUIRE(caller.call);
  const std::vector<float> caller_audio(audio.caller.begin(), audio.caller.begin() + 80000);  // 10 s
  caller.call->leg(caller.first_leg).write(std::span<const float>(caller_audio).first(4000));
  std::this_thread::sleep_for(400ms);  // past the wait: analysis starts with the caller alone
  // The agent answers 0.5 s into the call: taken in, not refused.
  auto agent = rig.registry.open_leg("twilio", "CA1", {}, {{8000, {SpeakerRole::agent}}}, false);
  REQUIRE(agent.call);
  CHECK(agent.call == caller.call);
  const std::vector<float> agent_audio(audio.agent.begin() + 4000, audio.agent.begin() + 80000);  // its 9.5 s
  std::atomic<std::size_t> at_caller{0}, at_agent{0};
  std::thread agent_thread([&] { play_leg(agent.call->leg(agent.first_leg), agent_audio, at_agent, at_caller); });
  play_leg(caller.call->leg(caller.first_leg), std::vector<float>(caller_audio.begin() + 4000, caller_audio.end()),
           at_caller, at_agent);
  agent_thread.join();
  REQUIRE(rig.pool.wait_idle(30.0));
  const auto status = caller.call->status();
  CHECK(status.roles == std::vector<std::string>{"caller", "agent"});
  CHECK(status.duration_s == Approx(10.0).margin(0.01));
  std::ifstream in(rig.settings.output.dir + "/CA1.summary.json");
  REQUIRE(in.good());
  const nlohmann::json summary = nlohmann::json::parse(in);
  CHECK(summary["speakers"].size() == 2);
  REQUIRE(summary.contains("parties"));
  CHECK(summary["parties"][0]["joined_s"] == 0.0);
  CHECK(summary["parties"][1]["role"] == "agent");
  CHECK(summary["parties"][1]["joined_s"].get<double>() == Approx(0.5).margin(0.05));
  CHECK(rig.metrics.render().find("outcome=\"refused\"") == std::string::npos);
  bool joined_event = false;
  for (const auto& e : events_of(rig.settings.output.dir + "/CA1.events.jsonl")) {
    joined_event |= e["type"] == "party_joined" && e["speaker"] == "agent";
    // The agent's silence before it joined is not dead air.
    if (e["type"] == "dead_air" && e["state"] == "opened") CHECK(e["time_s"].get<double>() > 0.5);
  }
  CHECK(joined_event);
}

TEST_CASE("a leg alone whose other party never comes is a one-speaker call", "[server][live]") {
  const Channels audio = example_channels();
  Rig rig("alone", 0.2);
  auto caller = rig.registry.open_leg("twilio", "CA1", {}, {{8000, {SpeakerRole::caller}}}, false);
  REQUIRE(caller.call);
  std::vector<float> ten_seconds(audio.caller.begin(), audio.caller.begin() + 80000);
  play_leg(caller.call->leg(caller.first_leg), ten_seconds);
  REQUIRE(rig.pool.wait_idle(30.0));
  const auto status = caller.call->status();
  CHECK(status.roles == std::vector<std::string>{"caller"});
  CHECK(status.duration_s == Approx(10.0).margin(0.01));
  std::ifstream in(rig.settings.output.dir + "/CA1.summary.json");
  REQUIRE(in.good());
  const nlohmann::json summary = nlohmann::json::parse(in);
  CHECK(summary["speakers"].size() == 1);
  CHECK(summary["parties"][1]["joined_s"].is_null());  // the agent never joined
}

TEST_CASE("a party who hangs up while the other goes on: party_left / their episodes closed / no dead air after",
          "[server][live]") {
  const Channels audio = example_channels();
  Rig rig("hangup");
  auto caller = rig.registry.open_leg("audiosocket", "u1", {}, {{8000, {SpeakerRole::caller}}}, false);
  auto agent = rig.registry.open_leg("audiosocket", "u1", {}, {{8000, {SpeakerRole::agent}}}, false);
  REQUIRE(caller.call);
  REQUIRE(agent.call);
  // The caller hangs up at 30 s; the agent's leg goes on to the end of the recording.
  const std::vector<float> caller_audio(audio.caller.begin(), audio.caller.begin() + 30 * 8000);
  std::atomic<std::size_t> at_caller{0}, at_agent{0};
  std::thread agent_thread([&] { play_leg(agent.call->leg(agent.first_leg), audio.agent, at_agent, at_caller); });
  play_leg(caller.call->leg(caller.first_leg), caller_audio, at_caller, at_agent);
  agent_thread.join();
  REQUIRE(rig.pool.wait_idle(60.0));
  const auto events = events_of(rig.settings.output.dir + "/u1.events.jsonl");
  int left = 0;
  for (const auto& e : events) {
    INFO(e.dump());
    if (e["type"] == "party_left") {
      ++left;
      CHECK(e["speaker"] == "caller");
      CHECK(e["time_s"].get<double>() == Approx(30.0).margin(0.05));
    }
    if (e["time_s"].get<double>() > 30.05) {
      CHECK(e["type"] != "dead_air");
      CHECK(e["speaker"] != "caller");
    }
    if (e["speaker"] == "caller" && e["state"] == "closed") CHECK(e["time_s"].get<double>() <= 30.05);
    if (e["speaker"] == "caller") CHECK(e["message"] != "still open when the call ended");
  }
  CHECK(left == 1);
  std::ifstream in(rig.settings.output.dir + "/u1.summary.json");
  REQUIRE(in.good());
  const nlohmann::json summary = nlohmann::json::parse(in);
  CHECK(summary["parties"][0]["left_s"].get<double>() == Approx(30.0).margin(0.05));
  CHECK(summary["parties"][1]["left_s"].is_null());
  CHECK(summary["duration_s"].get<double>() == Approx(static_cast<double>(audio.agent.size()) / 8000).margin(0.01));
}

TEST_CASE("the registry keeps --max-calls / makes platform ids safe file names / lists ended calls", "[server][registry]") {
  using tw::server::CallRegistry;
  CHECK(CallRegistry::safe_id("CA123abc") == "CA123abc");
  CHECK(CallRegistry::safe_id("../../etc/passwd") == "_._.._etc_passwd");
  CHECK(CallRegistry::safe_id("") == "call");
  CHECK(CallRegistry::safe_id("..") == "call..");
  CHECK(CallRegistry::safe_id("a b/c\xff") == "a_b_c_");
  CHECK(CallRegistry::safe_id(std::string(300, 'x')).size() == 96);

  tw::server::Metrics metrics;
  tw::server::CallSettings settings;
  settings.model = &model();
  settings.output.dir = scratch("limits");
  tw::alerts::CollectingSink hub;
  tw::server::WorkerPool pool(1, metrics, {});
  CallRegistry registry(settings, hub, pool, metrics, 2);
  auto one = registry.open_leg("generic_ws", "x", {}, {{8000, {SpeakerRole::caller, SpeakerRole::agent}}}, true);
  auto two = registry.open_leg("generic_ws", "y", {}, {{16000, {SpeakerRole::caller}}}, true);
  REQUIRE(one.call);
  REQUIRE(two.call);
  const auto three = registry.open_leg("generic_ws", "z", {}, {{8000, {SpeakerRole::caller}}}, true);
  CHECK_FALSE(three.call);
  CHECK(three.error.find("--max-calls 2") != std::string::npos);
  CHECK(registry.active_count() == 2);
  one.call->leg(0).end();
  two.call->leg(0).end();
  REQUIRE(pool.wait_idle(10.0));
  // The finisher hands calls back through the callback given to the pool; this pool has none,
  // so the registry is told here, as serve does.
  registry.on_finished(one.call);
  registry.on_finished(two.call);
  CHECK(registry.active_count() == 0);
  CHECK(registry.recent().size() == 2);
  CHECK(metrics.render().find("tonewatch_calls_total{protocol=\"generic_ws\"} 2") != std::string::npos);
  registry.close();
  CHECK(registry.open_leg("generic_ws", "w", {}, {{8000, {SpeakerRole::caller}}}, true).error == "server is shutting down");
}

TEST_CASE("a leg reads its 16-bit samples as they came / up to a gap and then the gap / read() gives their floats",
          "[server][live]") {
  tw::server::LegInput leg(8000, {tw::features::SpeakerRole::caller}, 1.0);
  REQUIRE(leg.holds_pcm16());
  std::vector<float> first(300), second(100);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<float>(static_cast<int>(i) * 97 - 15000) / 32768.0f;
  for (std::size_t i = 0; i < second.size(); ++i) second[i] = static_cast<float>(20000 - static_cast<int>(i) * 333) / 32768.0f;
  leg.write(first);
  leg.gap(200, tw::dsp::GapKind::lost);
  leg.write(second);
  std::vector<std::int16_t> got(1024);
  REQUIRE(leg.read_pcm16(got) == 300);  // stops at the gap
  for (std::size_t i = 0; i < first.size(); ++i) CHECK(got[i] == static_cast<int>(i) * 97 - 15000);
  CHECK(leg.read_pcm16(got) == 0);
  tw::dsp::StreamGap gap;
  REQUIRE(leg.take_gap(gap));
  CHECK(gap.frames == 200);
  std::vector<float> floats(1024);
  REQUIRE(leg.read(floats) == 100);
  for (std::size_t i = 0; i < second.size(); ++i) CHECK(floats[i] == second[i]);
}

TEST_CASE("a worker with an analysis block lets a call's packets gather / analyses them once the legs hold a block "
          "or the first has waited as long",
          "[server][live]") {
  BlockedCall blocked("block", 0.3);  // 300 ms blocks
  tw::server::LiveCall& call = blocked.call();
  const auto packets = [&](std::size_t n) { blocked.packets(n); };
  const auto wait_for_frames = [&](std::uint64_t f, std::chrono::milliseconds limit) { return blocked.wait_for(f, limit); };
  // The first packet starts the call: nothing to gather before that.
  packets(1);
  REQUIRE(wait_for_frames(160, 5000ms) == 160);
  // One more packet waits: 20 ms held, and 100 ms is less than the block.
  packets(1);
  std::this_thread::sleep_for(100ms);
  CHECK(call.analysed_frames() == 160);
  // The legs now hold 320 ms, more than a block: analysed at a poll.
  packets(15);
  CHECK(wait_for_frames(160 + 16 * 160, 5000ms) == 160 + 16 * 160);
  // A packet alone is analysed once it has waited a block's time, not before (after
  // a pause in which any ready flag left by the last writes has been dealt with).
  std::this_thread::sleep_for(400ms);
  const auto sent = std::chrono::steady_clock::now();
  packets(1);
  CHECK(wait_for_frames(160 + 17 * 160, 5000ms) == 160 + 17 * 160);
  CHECK(std::chrono::steady_clock::now() - sent >= 290ms);
  call.stop();
  REQUIRE(blocked.rig.pool.wait_idle(30.0));
}

TEST_CASE("a worker with an analysis block analyses at once the packet that completes a second of the call",
          "[server][live]") {
  // Detection judges each second of the call once its window summary is made: at 8 kHz
  // 40 ms after the second ends (the last hop's frame whole and its pitch decided).
  // A block must not hold that moment back, or every alert would wait for it.
  BlockedCall blocked("block-second", 0.5);  // 500 ms blocks
  tw::server::LiveCall& call = blocked.call();
  const auto packets = [&](std::size_t n) { blocked.packets(n); };
  const auto wait_for_frames = [&](std::uint64_t f, std::chrono::milliseconds limit) { return blocked.wait_for(f, limit); };
  packets(1);  // starts the call
  REQUIRE(wait_for_frames(160, 5000ms) == 160);
  packets(49);  // 0.98 s held: more than a block, analysed at a poll
  REQUIRE(wait_for_frames(8000, 5000ms) == 8000);
  packets(1);  // to 1.02 s: the first second is not judged yet, the packet waits
  std::this_thread::sleep_for(150ms);
  CHECK(call.analysed_frames() == 8000);
  // To 1.04 s: this packet completes the first second's summary and goes at once,
  // within a few 5 ms polls, not after the 500 ms block.
  const auto sent = std::chrono::steady_clock::now();
  packets(1);
  CHECK(wait_for_frames(8320, 5000ms) == 8320);
  CHECK(std::chrono::steady_clock::now() - sent < 250ms);
  // The next second's moment is 2.04 s: a packet to 1.06 s waits again.
  packets(1);
  std::this_thread::sleep_for(150ms);
  CHECK(call.analysed_frames() == 8320);
  call.stop();
  REQUIRE(blocked.rig.pool.wait_idle(30.0));
}

TEST_CASE("a worker with no calls sleeps until one comes / then analyses it / and sleeps again once it ends",
          "[server][live]") {
  Rig rig("idle");
  // Polling every 5 ms, 300 ms would be about 60 rounds.
  std::this_thread::sleep_for(300ms);
  CHECK(rig.pool.rounds() <= 1);

  const Channels audio = example_channels();
  auto opened = rig.registry.open_leg("twilio", "CA-idle", {}, {{8000, {SpeakerRole::caller}}, {8000, {SpeakerRole::agent}}},
                                      true);
  REQUIRE(opened.call);
  constexpr std::size_t kHalfSecond = 4000;  // within a leg's ring
  opened.call->leg(opened.first_leg).write(std::span<const float>(audio.caller).subspan(0, kHalfSecond));
  opened.call->leg(opened.first_leg + 1).write(std::span<const float>(audio.agent).subspan(0, kHalfSecond));
  opened.call->leg(opened.first_leg).end();
  opened.call->leg(opened.first_leg + 1).end();
  REQUIRE(rig.pool.wait_idle(30.0));
  CHECK(opened.call->analysed_frames() == kHalfSecond);
  CHECK(std::filesystem::exists(rig.settings.output.dir + "/CA-idle.summary.json"));

  const std::uint64_t after_call = rig.pool.rounds();
  CHECK(after_call >= 1);
  std::this_thread::sleep_for(300ms);
  CHECK(rig.pool.rounds() - after_call <= 1);
}
