// `tonewatch live` through PortAudio against virtual sound devices that behave like
// real ones ([device]: the tests start their own PulseAudio and JACK servers; see
// support/sound_servers.h). A PulseAudio null sink's monitor delivers what paplay
// plays into it at real-time pace, reached through ALSA's pulse plugin as a desktop
// captures the far end of a call. ALSA's file plugin over a null slave would hand
// over a whole file at once, so it could not show real-time capture; these devices
// do (each capture's measured rate is checked against the clock).

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/default_model.h"
#include "batch/call_job.h"
#include "io/audio_file_source.h"
#include "io/audio_file_writer.h"
#include "support/background_process.h"
#include "support/external_tools.h"
#include "support/run_command.h"
#include "support/shared_data.h"
#include "support/sound_servers.h"
#include "support/text_file.h"
#include "build_paths.h"

using nlohmann::json;
using tw::test::BackgroundProcess;
using tw::test::PulseServer;

namespace {

constexpr int kRate = 8000;
constexpr double kHop = 0.01;

std::string fresh_dir(const std::string& name) {
  const std::string dir = tw::test::scratch_dir() + "/device-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

std::vector<json> without_call(std::vector<json> events) {
  for (json& e : events) e.erase("call");
  return events;
}

// A stereo 8 kHz file, interleaved.
std::vector<float> read_stereo(const std::string& path) {
  tw::io::AudioFileSource file(path);
  REQUIRE(file.format().channels == 2);
  REQUIRE(file.format().sample_rate_hz == kRate);
  std::vector<float> all, block(2 * 4096);
  for (std::size_t n; (n = file.read(block)) > 0;) all.insert(all.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(2 * n));
  return all;
}

// Where channel `ch` of `original` lies in `recorded`: the offset o (frames, may be
// negative when capture started after playback) with recorded[f + o] closest to
// original[f] over the original's loudest half second, and the residual energy
// over the whole overlap relative to the original's.
struct Alignment {
  long offset = 0;
  double residual = 1.0;
};
Alignment align(const std::vector<float>& original, const std::vector<float>& recorded, std::size_t ch) {
  const long frames = static_cast<long>(original.size() / 2), recorded_frames = static_cast<long>(recorded.size() / 2);
  const long window = kRate / 2;
  long loudest = 0;
  double loudest_energy = -1.0;
  for (long start = kRate; start + window < frames - kRate; start += window / 2) {
    double e = 0.0;
    for (long f = start; f < start + window; ++f) e += original[2 * f + ch] * original[2 * f + ch];
    if (e > loudest_energy) {
      loudest_energy = e;
      loudest = start;
    }
  }
  Alignment best;
  double best_cost = -1.0;
  for (long o = -2 * kRate; o <= 4 * kRate; ++o) {
    if (loudest + o < 0 || loudest + o + window > recorded_frames) continue;
    double cost = 0.0;
    for (long f = loudest; f < loudest + window && (best_cost < 0.0 || cost < best_cost); f += 4) {
      const double d = recorded[2 * (f + o) + ch] - original[2 * f + ch];
      cost += d * d;
    }
    if (best_cost < 0.0 || cost < best_cost) {
      best_cost = cost;
      best.offset = o;
    }
  }
  double error = 0.0, energy = 0.0;
  for (long f = std::max(0L, -best.offset); f < frames && f + best.offset < recorded_frames; ++f) {
    const double x = original[2 * f + ch], d = recorded[2 * (f + best.offset) + ch] - x;
    error += d * d;
    energy += x * x;
  }
  best.residual = error / energy;
  return best;
}

// The original as the devices delivered it: each channel starting at its offset,
// silence around it, `frames` long.
std::vector<float> placed(const std::vector<float>& original, const long offsets[2], std::size_t frames) {
  std::vector<float> out(2 * frames, 0.0f);
  const long n = static_cast<long>(original.size() / 2);
  for (std::size_t ch = 0; ch < 2; ++ch) {
    for (long f = 0; f < n; ++f) {
      const long at = f + offsets[ch];
      if (at >= 0 && at < static_cast<long>(frames)) out[2 * static_cast<std::size_t>(at) + ch] = original[2 * f + ch];
    }
  }
  return out;
}

std::vector<json> analyze_events(const std::string& wav, const std::string& id, const std::string& dir) {
  static const tw::detect::AgitationModel model = tw::app::load_agitation_model();
  tw::batch::CallJobOptions job;
  job.model = &model;
  job.output.dir = dir;
  const auto result = tw::batch::analyze_call(wav, id, job);
  REQUIRE(result.status == tw::batch::CallResult::Status::analysed);
  return json_lines(tw::test::read_text(dir + "/" + id + ".events.jsonl"));
}

// Same events in the same order, onsets within `tolerance_s`.
void check_same_events(const std::vector<json>& live, const std::vector<json>& expected, double tolerance_s) {
  std::string listing;
  for (const json& e : live) listing += "\n  live " + e["time_s"].dump() + " " + e["type"].get<std::string>();
  for (const json& e : expected) listing += "\n  analyze " + e["time_s"].dump() + " " + e["type"].get<std::string>();
  INFO(listing);
  REQUIRE(live.size() == expected.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    INFO("event " << i);
    CHECK(live[i]["type"] == expected[i]["type"]);
    CHECK(live[i]["state"] == expected[i]["state"]);
    CHECK(live[i]["speaker"] == expected[i]["speaker"]);
    CHECK(std::abs(live[i]["time_s"].get<double>() - expected[i]["time_s"].get<double>()) <= tolerance_s + 1e-9);
  }
}

// The first 40 s of the example call: calm, escalation, venting with interruptions.
std::string excerpt(const std::string& dir) {
  const std::string path = dir + "/excerpt.wav";
  tw::test::run_sox({tw::build::source_dir() + "/examples/example_call.wav", path, "trim", "0", "40"});
  return path;
}

// A call a lost device ended is written so far: its summary says why (`says_why` of
// input.ended_by), warns that it ended early, holds the 1-6 s that came before the
// loss, and the report, events and windows are there.
template <class SaysWhy>
void check_written_so_far(const std::string& dir, const std::string& id, SaysWhy says_why) {
  REQUIRE(std::filesystem::exists(dir + "/" + id + ".summary.json"));
  const json summary = json::parse(tw::test::read_text(dir + "/" + id + ".summary.json"));
  CHECK(says_why(summary["input"]["ended_by"].get<std::string>()));
  CHECK(summary["duration_s"].get<double>() > 1.0);
  CHECK(summary["duration_s"].get<double>() < 6.0);
  bool warned = false;
  for (const json& w : summary["warnings"]) warned = warned || w.get<std::string>().find("ended early") != std::string::npos;
  CHECK(warned);
  for (const char* ext : {".report.html", ".events.jsonl", ".windows.csv"}) CHECK(std::filesystem::exists(dir + "/" + id + ext));
}

}  // namespace

TEST_CASE("live captures a call from PulseAudio devices in real time / a stereo tap and two devices at their own rates "
          "find analyze's events",
          "[device][live]") {
  const std::string dir = fresh_dir("capture");
  const std::string call = excerpt(dir);
  const std::vector<float> original = read_stereo(call);
  PulseServer pulse({{"tw_tap", 8000, 2, {}},
                     {"tw_pair", 8000, 2, {{"tw_caller_loop", "front-left"}, {"tw_agent_mic", "front-right"}}}});

  // A name that fits several devices is refused, naming them.
  BackgroundProcess ambiguous({tw::test::tonewatch_binary(), "live", "--device", "tw_", "--out", dir}, pulse.env());
  CHECK(ambiguous.wait(60.0) == 2);
  INFO(ambiguous.err());
  CHECK(ambiguous.err().find("'tw_' matches 4 input devices") != std::string::npos);

  // One two-channel recording tap at 8 kHz, and two one-channel devices (the agent's
  // headset at 16 kHz, the caller's loopback at 44.1 kHz) on the same call.
  BackgroundProcess tap({tw::test::tonewatch_binary(), "live", "--device", "tw_tap", "--rate", "8000", "--out", dir,
                    "--call-id", "tap", "--record", dir + "/tap.wav"},
                   pulse.env());
  BackgroundProcess pair({tw::test::tonewatch_binary(), "live", "--agent-device", "tw_agent_mic", "--agent-rate", "16000",
                     "--caller-device", "tw_caller_loop", "--caller-rate", "44100", "--out", dir, "--call-id", "pair",
                     "--record", dir + "/pair.wav"},
                    pulse.env());
  REQUIRE(tap.wait_for_err("capturing", 60.0));
  REQUIRE(pair.wait_for_err("capturing", 60.0));
  // PulseAudio starts a capture stream a moment after PortAudio starts it.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto start = std::chrono::steady_clock::now();
  auto played_pair = std::async(std::launch::async, [&] { return pulse.play(call, "tw_pair"); });
  CHECK(pulse.play(call, "tw_tap") == 0);
  CHECK(played_pair.get() == 0);
  const double played_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  tap.signal(SIGINT);
  pair.signal(SIGINT);
  const int tap_code = tap.wait(120.0), pair_code = pair.wait(120.0);
  INFO("tap: " << tap.err() << "\npair: " << pair.err());
  REQUIRE(tap_code == 0);
  REQUIRE(pair_code == 0);
  // paplay paces the call: it took its length to play.
  CHECK(played_s > 39.0);

  for (const std::string id : {"tap", "pair"}) {
    INFO("call " << id);
    const json summary = json::parse(tw::test::read_text(dir + "/" + id + ".summary.json"));
    const json& input = summary["input"];
    CHECK(input["ended_by"] == "ctrl-c");
    CHECK(input["overflowed_frames"] == 0);
    CHECK(input["input_overflows"] == 0);
    CHECK(input["stall_fill_frames"] == 0);
    CHECK(summary["duration_s"].get<double>() > 40.0);
    for (const json& source : input["sources"]) {
      INFO(source.dump());
      // Real-time capture: each device delivered at its own rate against the clock.
      CHECK(source["measured_rate_hz"].get<double>() == Approx(source["sample_rate_hz"].get<double>()).epsilon(0.005));
      CHECK(source["host_api"] == "ALSA");
    }
    // What the call printed as it went is what it wrote.
    const std::vector<json> events = json_lines(tw::test::read_text(dir + "/" + id + ".events.jsonl"));
    CHECK(json_lines(id == "tap" ? tap.out() : pair.out()) == events);
    // One pipeline: the recording of what was analysed, analysed by analyze, gives the same events.
    CHECK(without_call(analyze_events(dir + "/" + id + ".wav", id + "-again", dir + "/again")) == without_call(events));

    // Against the call itself: find where each channel landed in the recording.
    const std::vector<float> recorded = read_stereo(dir + "/" + id + ".wav");
    const Alignment caller = align(original, recorded, 0), agent = align(original, recorded, 1);
    INFO("offsets " << caller.offset << ", " << agent.offset << " frames; residuals " << caller.residual << ", "
                    << agent.residual);
    if (id == "tap") {
      // One stream: the channels stay together and the samples arrive unchanged.
      CHECK(caller.offset == agent.offset);
      CHECK(caller.residual < 1e-3);
      CHECK(agent.residual < 1e-3);
    } else {
      // Two devices, each resampled twice (by PulseAudio to the device rate, by
      // tonewatch back to 8 kHz) and kept in step by sample counts.
      CHECK(std::abs(caller.offset - agent.offset) <= 2 * kRate * kHop);
      CHECK(caller.residual < 0.05);
      CHECK(agent.residual < 0.05);
      // One sound server, one clock: measured and reported, not followed (off by default).
      CHECK(std::abs(input["relative_drift_ppm"].get<double>()) < 200.0);
      CHECK(input["drift_dropped_frames"] == 0);
      CHECK(input["drift_repeated_frames"] == 0);
      CHECK(input["sources"][0]["roles"] == json::array({"agent"}));
      CHECK(input["sources"][0]["sample_rate_hz"] == 16000);
      CHECK(input["sources"][1]["roles"] == json::array({"caller"}));
      CHECK(input["sources"][1]["sample_rate_hz"] == 44100);
    }
    // analyze on the call as the devices delivered it: the same events, onsets within two hops.
    const long offsets[2] = {caller.offset, agent.offset};
    const std::string same_audio = dir + "/" + id + "-expected.wav";
    tw::io::write_audio_file(same_audio, placed(original, offsets, recorded.size() / 2), 2, kRate,
                             tw::io::OutputEncoding::wav_float);
    const std::vector<json> expected = analyze_events(same_audio, id + "-expected", dir + "/expected");
    REQUIRE(expected.size() >= 3);
    check_same_events(events, expected, 2 * kHop);
  }
}

TEST_CASE("live: a device that disappears mid-call ends the call / the call so far is written", "[device][live]") {
  const std::string dir = fresh_dir("lost");
  const std::string call = excerpt(dir);
  PulseServer pulse({{"tw_tap", 8000, 2, {}}});
  BackgroundProcess live({tw::test::tonewatch_binary(), "live", "--device", "tw_tap", "--out", dir, "--call-id", "lost"},
                    pulse.env());
  REQUIRE(live.wait_for_err("capturing", 60.0));
  BackgroundProcess player({"paplay", "--device=tw_tap", call}, pulse.env());
  std::this_thread::sleep_for(std::chrono::seconds(5));
  pulse.kill_now();  // the sound server, and with it the device, is gone
  const int code = live.wait(60.0);
  INFO(live.err());
  CHECK(code == 1);
  CHECK(live.err().find("'tw_tap' (ALSA, device") != std::string::npos);
  // Which of the two ways the loss shows depends on when ALSA's pulse plugin sees the
  // server's socket close: the stream ends (PortAudio's finished callback), or it stays
  // open and silent until --device-timeout (5 s).
  const auto says_lost = [](const std::string& text) {
    return text.find("stopped delivering audio") != std::string::npos ||
           text.find("delivered no audio for 5 s") != std::string::npos;
  };
  CHECK(says_lost(live.err()));
  check_written_so_far(dir, "lost", says_lost);
}

TEST_CASE("live: a sound server that freezes mid-call ends the call after --device-timeout / the call so far is written",
          "[device][live]") {
  // A hung server neither delivers nor answers: PortAudio's stop waits on it forever
  // (ALSA's pulse plugin asks it to drop the stream), so live must write the call
  // without that stop having returned, and exit.
  const std::string dir = fresh_dir("frozen");
  const std::string call = excerpt(dir);
  PulseServer pulse({{"tw_tap", 8000, 2, {}}});
  BackgroundProcess live({tw::test::tonewatch_binary(), "live", "--device", "tw_tap", "--out", dir, "--call-id", "frozen",
                          "--device-timeout", "2"},
                         pulse.env());
  REQUIRE(live.wait_for_err("capturing", 60.0));
  BackgroundProcess player({"paplay", "--device=tw_tap", call}, pulse.env());
  std::this_thread::sleep_for(std::chrono::seconds(4));
  pulse.freeze();
  const auto frozen_at = std::chrono::steady_clock::now();
  const int code = live.wait(30.0);
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - frozen_at).count();
  INFO(live.err());
  CHECK(code == 1);
  CHECK(live.err().find("'tw_tap' (ALSA, device") != std::string::npos);
  CHECK(live.err().find("delivered no audio for 2 s") != std::string::npos);
  // 2 s without audio, 2 s for the server to let go of the stream, the call's outputs.
  CHECK(took_s < 12.0);
  check_written_so_far(dir, "frozen", [](const std::string& why) { return why.find("delivered no audio") != std::string::npos; });
}

TEST_CASE("live and devices with a frozen sound server say so in 10 s / never hang", "[device][live]") {
  // PortAudio opens every device to list it, and ALSA's pulse plugin waits for a
  // frozen server forever; live blocks its signals, so not even Ctrl-C ended it.
  const std::string dir = fresh_dir("frozen-start");
  PulseServer pulse({{"tw_tap", 8000, 2, {}}});
  pulse.freeze();
  const auto frozen_at = std::chrono::steady_clock::now();
  BackgroundProcess devices({tw::test::tonewatch_binary(), "devices"}, pulse.env());
  BackgroundProcess live({tw::test::tonewatch_binary(), "live", "--device", "tw_tap", "--out", dir}, pulse.env());
  const int devices_code = devices.wait(40.0);
  const int live_code = live.wait(40.0);
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - frozen_at).count();
  INFO(devices.err() << live.err());
  // Exit 2, as for any PortAudio that cannot start; 10 s of waiting, run side by side.
  CHECK(devices_code == 2);
  CHECK(live_code == 2);
  const std::string said = "the sound system did not answer in 10 s while PortAudio listed its devices";
  CHECK(devices.err().find(said) != std::string::npos);
  CHECK(live.err().find(said) != std::string::npos);
  CHECK(took_s > 9.5);
  CHECK(took_s < 25.0);
}

TEST_CASE("live: a device that refuses the rate or lacks the channels is named with what it takes", "[device][live]") {
  const std::string dir = fresh_dir("jack");
  // JACK's dummy driver: one capture port at 48 kHz, nothing else.
  tw::test::JackServer jack(48000, 1);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {tw::test::tonewatch_binary(), "live"});
    args.insert(args.end(), {"--out", dir});
    BackgroundProcess p(args, jack.env());
    const int code = p.wait(60.0);
    return std::make_pair(code, p.err());
  };
  {
    const auto [code, err] = run({"--device", "system"});
    INFO(err);
    CHECK(code == 2);
    CHECK(err.find("'system' (JACK Audio Connection Kit, device") != std::string::npos);
    CHECK(err.find("has 1 input channel, 2 asked: a two-channel recording tap needs two input channels") != std::string::npos);
  }
  {
    const auto [code, err] = run({"--device", "system", "--channels", "agent", "--rate", "16000"});
    INFO(err);
    CHECK(code == 2);
    CHECK(err.find("does not take 16000 Hz (its default rate is 48000 Hz)") != std::string::npos);
  }
  {
    const auto [code, err] = run({"--device", "no-such-thing"});
    INFO(err);
    CHECK(code == 2);
    CHECK(err.find("no input device matches 'no-such-thing'") != std::string::npos);
    CHECK(err.find("system (JACK Audio Connection Kit)") != std::string::npos);
  }
  {
    // At the rate and channels it has, the same device captures.
    const auto [code, err] = run({"--device", "system", "--channels", "agent", "--duration", "2", "--call-id", "jack"});
    INFO(err);
    CHECK(code == 0);
    const json summary = json::parse(tw::test::read_text(dir + "/jack.summary.json"));
    CHECK(summary["input"]["ended_by"] == "duration");
    CHECK(summary["input"]["sources"][0]["sample_rate_hz"] == 48000);
    CHECK(summary["duration_s"].get<double>() == Approx(2.0).margin(0.3));
  }
}
