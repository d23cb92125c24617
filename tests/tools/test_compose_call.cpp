// The call composer (tools/compose_call) and what it is built on: the telephone
// band filter, the P.56 active level, line noise, the script parser, the audio
// writer, and the bundled example call against its truth.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "io/audio_error.h"
#include "io/audio_file_source.h"
#include "io/audio_file_writer.h"
#include "io/resampling_source.h"
#include "support/shared_data.h"
#include "support/text_file.h"
#include "features/feature_extractor.h"
#include "tools/call_composer.h"
#include "tools/line_conditions.h"
#include "tools/call_script.h"
#include "tools/emodb_catalog.h"
#include "tools/telephone_line.h"
#include "build_paths.h"

namespace {

using tw::features::SpeakerRole;
using Catch::Matchers::Contains;

constexpr int kRate = 8000;

std::vector<float> channel_of(const std::vector<float>& interleaved, int channel, int channels = 2) {
  std::vector<float> out(interleaved.size() / static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(channel)];
  }
  return out;
}

std::vector<float> slice(const std::vector<float>& x, double start_s, double end_s, int rate_hz = kRate) {
  const auto a = static_cast<std::size_t>(std::max(0.0, start_s) * rate_hz);
  const auto b = std::min(x.size(), static_cast<std::size_t>(end_s * rate_hz));
  return a < b ? std::vector<float>(x.begin() + static_cast<std::ptrdiff_t>(a), x.begin() + static_cast<std::ptrdiff_t>(b))
               : std::vector<float>{};
}

// RMS level in dB re full-scale sine, the scale of the composer's levels.
double rms_dbfs(const std::vector<float>& x) {
  double sum = 0.0;
  for (const float s : x) sum += static_cast<double>(s) * s;
  return x.empty() || sum <= 0.0 ? -200.0 : 10.0 * std::log10(2.0 * sum / static_cast<double>(x.size()));
}

std::vector<float> sine(double frequency_hz, double amplitude, double seconds, int rate_hz = kRate) {
  std::vector<float> x(static_cast<std::size_t>(seconds * rate_hz));
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * frequency_hz * i / rate_hz));
  }
  return x;
}

const tw::tools::EmodbCatalog& emodb() {
  static const tw::tools::EmodbCatalog catalog(tw::test::shared_data_path("emodb"));
  return catalog;
}

tw::tools::ComposedCall compose(const std::string& json_text) {
  return tw::tools::compose_call(tw::tools::parse_call_script(json_text, "test.json"), emodb());
}

}  // namespace

// --- telephone line -------------------------------------------------------------------------------

TEST_CASE("telephone band filter: Butterworth response at 8 kHz", "[tools][composer]") {
  tw::tools::TelephoneBandFilter band(kRate);
  CHECK(band.gain_at(1000.0) == Approx(1.0).margin(0.01));
  CHECK(band.gain_at(300.0) == Approx(std::sqrt(0.5)).margin(0.005));   // -3 dB at both edges
  CHECK(band.gain_at(3400.0) == Approx(std::sqrt(0.5)).margin(0.005));
  CHECK(band.gain_at(150.0) < 0.07);   // 4th order: about -24 dB one octave below 300 Hz
  CHECK(band.gain_at(3900.0) < 0.1);

  // The coefficients agree with the filter that runs: a 1 kHz sine keeps its
  // level, a 100 Hz hum (below any phone line) loses more than 35 dB.
  for (const auto& [frequency_hz, expected_db] : {std::pair{1000.0, 0.0}, std::pair{100.0, -38.0}}) {
    std::vector<float> x = sine(frequency_hz, 0.5, 2.0);
    const double before = rms_dbfs(slice(x, 1.0, 2.0));
    band.reset();
    band.process(x);
    const double after = rms_dbfs(slice(x, 1.0, 2.0));
    INFO(frequency_hz << " Hz: " << after - before << " dB");
    if (expected_db == 0.0) {
      CHECK(after - before == Approx(0.0).margin(0.1));
    } else {
      CHECK(after - before < -35.0);
    }
  }
  CHECK_THROWS_AS(tw::tools::TelephoneBandFilter(6000), std::invalid_argument);  // 3400 Hz above Nyquist
}

TEST_CASE("P.56 active level ignores pauses / long-term RMS does not", "[tools][composer]") {
  // Five 1 s bursts of a -20 dBFS sine, each followed by 1 s of silence.
  std::vector<float> x;
  for (int burst = 0; burst < 5; ++burst) {
    const std::vector<float> on = sine(440.0, std::pow(10.0, -20.0 / 20.0), 1.0);
    x.insert(x.end(), on.begin(), on.end());
    x.insert(x.end(), kRate, 0.0f);
  }
  const double active = tw::tools::active_speech_level_dbfs(x, kRate);
  // The 200 ms hangover counts as active, so the bursts read 10 log10(1/1.2) = -0.8 dB low.
  CHECK(active == Approx(-20.8).margin(0.5));
  CHECK(rms_dbfs(x) == Approx(-23.0).margin(0.1));
  CHECK(tw::tools::active_speech_level_dbfs(std::vector<float>(kRate, 0.0f), kRate) == tw::tools::kNoSpeechLevelDbfs);
}

TEST_CASE("line noise: exact level / deterministic per seed / independent per stream", "[tools][composer]") {
  const auto a = tw::tools::line_noise(4 * kRate, kRate, -60.0, 7, 0);
  const auto a_again = tw::tools::line_noise(4 * kRate, kRate, -60.0, 7, 0);
  const auto b = tw::tools::line_noise(4 * kRate, kRate, -60.0, 7, 1);
  const auto c = tw::tools::line_noise(4 * kRate, kRate, -60.0, 8, 0);
  CHECK(rms_dbfs(a) == Approx(-60.0).margin(0.01));
  CHECK(a == a_again);
  CHECK(a != c);
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  CHECK(std::abs(ab / std::sqrt(aa * bb)) < 0.05);
}

// --- audio writer ---------------------------------------------------------------------------------

TEST_CASE("write_audio_file: round trip per encoding / clipping / NaN / errors", "[tools][io][writer]") {
  const std::string dir = tw::test::scratch_dir();
  // Left: a 500 Hz sine at half scale; right: over-range and NaN samples.
  std::vector<float> left = sine(500.0, 0.5, 0.5);
  std::vector<float> interleaved;
  for (std::size_t i = 0; i < left.size(); ++i) {
    interleaved.push_back(left[i]);
    interleaved.push_back(i % 3 == 0 ? 3.0f : (i % 3 == 1 ? -3.0f : std::nanf("")));
  }
  using tw::io::OutputEncoding;
  for (const auto& [encoding, extension, tolerance] :
       {std::tuple{OutputEncoding::wav_pcm16, ".wav", 1.0e-4}, std::tuple{OutputEncoding::wav_ulaw, ".wav", 0.02},
        std::tuple{OutputEncoding::wav_alaw, ".wav", 0.02}, std::tuple{OutputEncoding::wav_float, ".wav", 1.0e-7},
        std::tuple{OutputEncoding::flac, ".flac", 1.0e-4}}) {
    const std::string name = tw::io::to_string(encoding);
    const std::string path = dir + "/writer_" + name + extension;
    tw::io::write_audio_file(path, interleaved, 2, kRate, encoding);
    tw::io::AudioFileSource file(path);
    INFO(name << ": " << file.format().description);
    REQUIRE(file.format().channels == 2);
    CHECK(file.format().sample_rate_hz == kRate);
    CHECK(file.format().frames == static_cast<std::int64_t>(left.size()));
    const std::vector<float> back = tw::io::read_all(file);
    REQUIRE(back.size() == interleaved.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < left.size(); ++i) worst = std::max(worst, std::abs(double{back[2 * i]} - left[i]));
    CHECK(worst <= tolerance);
    // +3 is clipped to full scale, not wrapped (G.711's largest code is 0.98 of full scale).
    CHECK(back[1] == Approx(1.0).margin(std::max(0.001, tolerance)));
    CHECK(back[3] == Approx(-1.0).margin(std::max(0.001, tolerance)));
    CHECK(std::abs(back[5]) < 0.001);               // NaN written as silence
    CHECK(tw::io::parse_output_encoding(name) == encoding);
  }

  // Nothing is left behind when the folder does not exist, and the message names the file.
  const std::string bad = dir + "/no/such/folder/out.wav";
  CHECK_THROWS_WITH(tw::io::write_audio_file(bad, interleaved, 2, kRate, OutputEncoding::wav_pcm16), Contains(bad));
  CHECK_THROWS_AS(tw::io::write_audio_file(dir + "/odd.wav", std::vector<float>(3), 2, kRate, OutputEncoding::wav_pcm16),
                  std::invalid_argument);
  CHECK_THROWS_WITH(tw::io::parse_output_encoding("mp3"), Contains("pcm16") && Contains("ulaw"));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    CHECK(entry.path().string().find(".tmp-") == std::string::npos);
  }
}

// --- script parser --------------------------------------------------------------------------------

TEST_CASE("call script: errors name the turn and the field", "[tools][composer]") {
  using tw::tools::parse_call_script;
  const auto fails_with = [](const std::string& json, const std::string& expected) {
    INFO(json);
    CHECK_THROWS_WITH(parse_call_script(json, "s.json"), Contains("s.json") && Contains(expected));
  };
  fails_with(R"({"turns": [{"role": "caller", "utterances": ["03a01Nc.wav"], "gian_db": 3}]})",
             "turns[0].gian_db: unknown key");
  fails_with(R"({"turns": [{"role": "caller", "utterances": ["a.wav"]}, {"role": "boss", "utterances": ["a.wav"]}]})",
             "turns[1].role");
  fails_with(R"({"turns": [{"role": "agent", "utterances": ["a.wav"], "gap_s": "soon"}]})",
             "turns[0].gap_s: expected a number");
  fails_with(R"({"turns": [{"role": "agent", "utterances": ["a.wav"], "gain_db": 60}]})", "turns[0].gain_db");
  fails_with(R"({"turns": [{"role": "agent", "utterances": ["a.wav"], "tempo": 3}]})", "turns[0].tempo");
  fails_with(R"({"turns": [{"role": "agent", "utterances": ["a.wav"], "monotone": 1}]})", "turns[0].monotone");
  fails_with(R"({"turns": [{"role": "agent", "utterances": [{"file": "a.wav", "syllables": 1.5}]}]})",
             "turns[0].utterances[0].syllables");
  fails_with(R"({"band": "wide", "turns": [{"silence_s": 1}]})", "band");
  fails_with(R"({"turns": [{"role": "agent", "utterances": [{"speaker": "03", "emotion": "X"}]}]})",
             "turns[0].utterances[0].emotion");
  fails_with(R"({"turns": [{"role": "agent", "utterances": []}]})", "turns[0].utterances");
  fails_with(R"({"turns": [{"label": "neither"}]})", "turns[0]");
  fails_with(R"({"turns": [], "sample_rate_hz": 8000})", "turns");
  fails_with(R"({"turns": [{"silence_s": -1}]})", "turns[0].silence_s");
  fails_with(R"({"sample_rate": 8000, "turns": [{"silence_s": 1}]})", "sample_rate: unknown key");
  fails_with(R"({"turns": )", "not valid JSON");

  const auto script = parse_call_script(
      R"({"seed": 5, "turns": [{"role": "agent", "utterances": ["03a01Nc.wav", {"speaker": 3, "emotion": "anger",
          "text": "a02"}], "gap_s": -0.4, "stage": "calm"}, {"silence_s": 2}]})",
      "s.json");
  REQUIRE(script.entries.size() == 2);
  const auto& turn = std::get<tw::tools::TurnSpec>(script.entries[0]);
  CHECK(turn.role == SpeakerRole::agent);
  CHECK(turn.gap_s == -0.4);
  CHECK(turn.stage == "calm");
  CHECK(turn.utterances[0].file == "03a01Nc.wav");
  CHECK(turn.utterances[1].speaker == "03");
  CHECK(turn.utterances[1].emotion_code == 'W');
  CHECK(turn.utterances[1].text_code == "a02");
  CHECK(std::get<tw::tools::SilenceSpec>(script.entries[1]).duration_s == 2.0);
  CHECK(script.seed == 5);
  CHECK(script.sample_rate_hz == 8000);
}

// --- composing from EmoDB -------------------------------------------------------------------------

TEST_CASE("composed call: channel layout / duration / levels and truth times", "[tools][composer][data]") {
  const auto call = compose(R"({
    "noise_floor_dbfs": -60, "speech_level_dbfs": -26, "seed": 3, "tail_s": 0.7,
    "turns": [
      {"role": "caller", "gap_s": 0.6, "utterances": ["03a01Nc.wav"], "stage": "calm", "label": "hello"},
      {"role": "agent", "gap_s": 0.5, "utterances": ["08a01Na.wav"]},
      {"role": "caller", "gap_s": 0.4, "gain_db": 6, "utterances": ["03a01Wa.wav"], "stage": "venting"}
    ]})");
  const auto& truth = call.truth;
  REQUIRE(truth.utterances.size() == 3);
  const auto caller = channel_of(call.interleaved, 0);
  const auto agent = channel_of(call.interleaved, 1);
  REQUIRE(call.interleaved.size() == static_cast<std::size_t>(truth.frames) * 2);
  CHECK(truth.duration_s == Approx(static_cast<double>(truth.frames) / kRate));
  CHECK(truth.duration_s == Approx(truth.utterances.back().end_s + 0.7).margin(1.0 / kRate));

  // Times follow the script and the silb labels to the sample.
  const auto& first = truth.utterances[0];
  const auto& labels = *emodb().find("03a01Nc.wav");
  CHECK(first.role == SpeakerRole::caller);
  CHECK(first.start_s == Approx(0.6).margin(1.0 / kRate));
  CHECK(first.end_s - first.start_s == Approx(*labels.speech_end_s - *labels.speech_start_s).margin(1.0 / kRate));
  CHECK(truth.utterances[1].start_s == Approx(first.end_s + 0.5).margin(1.0 / kRate));
  CHECK(truth.utterances[2].start_s == Approx(truth.utterances[1].end_s + 0.4).margin(1.0 / kRate));
  CHECK(truth.utterances[2].source->emotion_code == 'W');
  CHECK(first.stage == "calm");
  CHECK(first.label == "hello");

  // Each voice is on its own channel: speech there, only the line noise on the other.
  for (const auto& u : truth.utterances) {
    const auto& own = u.role == SpeakerRole::caller ? caller : agent;
    const auto& other = u.role == SpeakerRole::caller ? agent : caller;
    INFO(u.source->file << " " << u.start_s << "-" << u.end_s << " s");
    CHECK(tw::tools::active_speech_level_dbfs(slice(own, u.start_s, u.end_s), kRate) ==
          Approx(-26.0 + u.gain_db).margin(1.0));
    CHECK(rms_dbfs(slice(other, u.start_s, u.end_s)) == Approx(-60.0).margin(1.0));
  }
  // Before the first word both channels are at the noise floor, and the two noises differ.
  CHECK(rms_dbfs(slice(caller, 0.0, 0.45)) == Approx(-60.0).margin(1.5));
  CHECK(rms_dbfs(slice(agent, 0.0, 0.45)) == Approx(-60.0).margin(1.5));
  CHECK(slice(caller, 0.0, 0.45) != slice(agent, 0.0, 0.45));
  // The angry turn's +6 dB shows as a level difference between the caller's utterances.
  CHECK(tw::tools::active_speech_level_dbfs(slice(caller, truth.utterances[2].start_s, truth.utterances[2].end_s), kRate) -
            tw::tools::active_speech_level_dbfs(slice(caller, first.start_s, first.end_s), kRate) ==
        Approx(6.0).margin(1.0));

  // The truth JSON carries the labels of labels.csv.
  const auto json = nlohmann::json::parse(tw::tools::truth_to_json(call, {"t.json", "t.wav", "ulaw"}));
  CHECK(json["channels"][0]["role"] == "caller");
  CHECK(json["channels"][0]["speakers"][0]["speaker"] == "03");
  CHECK(json["channels"][1]["role"] == "agent");
  CHECK(json["channels"][1]["speakers"][0]["sex"] == "f");
  CHECK(json["utterances"][0]["file"] == "03a01Nc.wav");
  CHECK(json["utterances"][0]["emotion_name"] == "neutral");
  CHECK(json["utterances"][0]["arousal"] == "low");
  CHECK(json["utterances"][2]["arousal"] == "high");
  CHECK(json["utterances"][0]["bounds"] == "silb");
  CHECK(json["utterances"][1]["channel"] == 1);
  CHECK(json["duration_s"].get<double>() == Approx(truth.duration_s).margin(1e-4));

  // Same script, same call: the noise is seeded.
  const auto again = compose(R"({
    "noise_floor_dbfs": -60, "speech_level_dbfs": -26, "seed": 3, "tail_s": 0.7,
    "turns": [
      {"role": "caller", "gap_s": 0.6, "utterances": ["03a01Nc.wav"], "stage": "calm", "label": "hello"},
      {"role": "agent", "gap_s": 0.5, "utterances": ["08a01Na.wav"]},
      {"role": "caller", "gap_s": 0.4, "gain_db": 6, "utterances": ["03a01Wa.wav"], "stage": "venting"}
    ]})");
  CHECK(again.interleaved == call.interleaved);

  // Written and read back: two channels at 8 kHz, the same length.
  const std::string path = tw::test::scratch_dir() + "/composed.wav";
  tw::io::write_audio_file(path, call.interleaved, 2, kRate, tw::io::OutputEncoding::wav_ulaw);
  tw::io::AudioFileSource file(path);
  CHECK(file.format().channels == 2);
  CHECK(file.format().sample_rate_hz == kRate);
  CHECK(file.format().frames == truth.frames);
}

TEST_CASE("composed call: an interruption is in the truth with the right interrupter", "[tools][composer][data]") {
  const auto call = compose(R"({"turns": [
      {"role": "caller", "gap_s": 0.3, "utterances": ["03a05Wa.wav"], "gain_db": 4},
      {"role": "agent", "gap_s": -0.5, "utterances": ["08a05Nb.wav"], "label": "talks over"},
      {"role": "caller", "gap_s": 0.6, "utterances": ["03a01Nc.wav"]}
    ]})");
  const auto& truth = call.truth;
  REQUIRE(truth.overlaps.size() == 1);
  const auto& overlap = truth.overlaps[0];
  CHECK(overlap.interrupter == SpeakerRole::agent);
  CHECK(overlap.interrupted == SpeakerRole::caller);
  CHECK(overlap.turn == 1);
  CHECK(overlap.interrupted_turn == 0);
  CHECK(overlap.duration_s == Approx(0.5).margin(1.0 / kRate));
  CHECK(overlap.start_s == Approx(truth.turns[0].end_s - 0.5).margin(1.0 / kRate));
  CHECK(truth.turns[1].gap_s == Approx(-0.5).margin(1.0 / kRate));
  // The next turn counts its gap from the end of the interrupter's turn, the later one.
  CHECK(truth.turns[2].start_s == Approx(truth.turns[1].end_s + 0.6).margin(1.0 / kRate));
  // During the overlap both channels carry speech (20 dB and more above the -60 dB noise).
  const auto caller = channel_of(call.interleaved, 0);
  const auto agent = channel_of(call.interleaved, 1);
  CHECK(rms_dbfs(slice(caller, overlap.start_s, overlap.start_s + overlap.duration_s)) > -45.0);
  CHECK(rms_dbfs(slice(agent, overlap.start_s, overlap.start_s + overlap.duration_s)) > -45.0);

  const auto json = nlohmann::json::parse(tw::tools::truth_to_json(call, {"t.json", "t.wav", "pcm16"}));
  REQUIRE(json["overlaps"].size() == 1);
  CHECK(json["overlaps"][0]["interrupter"] == "agent");
  CHECK(json["overlaps"][0]["interrupted"] == "caller");

  // A speaker cannot interrupt themselves, nor start before the turn they interrupt.
  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "utterances": ["03a05Wa.wav"]},
                                          {"role": "caller", "gap_s": -0.5, "utterances": ["03a01Nc.wav"]}]})"),
                    Contains("turns[1].gap_s") && Contains("interrupt themselves"));
  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "utterances": ["03a01Nc.wav"]},
                                          {"role": "agent", "gap_s": -9, "utterances": ["08a01Na.wav"]}]})"),
                    Contains("turns[1].gap_s") && Contains("before turns[0] begins"));
}

TEST_CASE("composed call: a speaker giving way mid-turn / a backchannel token", "[tools][composer][data]") {
  // The caller is cut off 1.4 s into the turn; the agent came in 1.0 s into it.
  const auto call = compose(R"({"turns": [
      {"role": "caller", "gap_s": 0.3, "utterances": ["03a05Nd.wav", "03a01Nc.wav"], "cut_after_s": 1.4},
      {"role": "agent", "gap_s": -0.4, "utterances": ["08a05Nb.wav"]},
      {"role": "caller", "gap_s": 0.6, "utterances": ["03a02Nc.wav", "03a04Nc.wav"]},
      {"role": "agent", "gap_s": -2.0, "utterances": [{"file": "08a01Na.wav", "syllables": 1}]}
    ]})");
  const auto& truth = call.truth;
  CHECK(truth.turns[0].cut);
  CHECK(truth.turns[0].end_s - truth.turns[0].start_s == Approx(1.4).margin(1.0 / kRate));
  REQUIRE(truth.overlaps.size() == 2);
  const auto& barge_in = truth.overlaps[0];
  CHECK(barge_in.start_s == Approx(truth.turns[0].start_s + 1.0).margin(1.0 / kRate));
  CHECK(barge_in.duration_s == Approx(0.4).margin(1.0 / kRate));
  CHECK(barge_in.interrupted_yielded);
  // Nothing of the caller's voice after the cut (the fade is inside it).
  const auto caller = channel_of(call.interleaved, 0);
  CHECK(rms_dbfs(slice(caller, truth.turns[0].end_s + 0.02, truth.turns[1].end_s)) < -55.0);
  // The backchannel: one syllable, under half a second, the caller talking on.
  const auto& token = truth.overlaps[1];
  CHECK_FALSE(token.interrupted_yielded);
  CHECK(token.interrupter_turn_s < 0.5);
  CHECK(token.interrupter_turn_s > 0.05);
}

TEST_CASE("composed call: tempo scales an utterance with its pitch kept / monotone flattens it / bands",
          "[tools][composer][data]") {
  // The speech of the utterances is scaled; the scripted pause between them is not.
  auto duration = [](const std::string& extra) {
    const auto call = compose(R"({"turns": [{"role": "agent", "utterances": ["08a01Na.wav", "08a02Na.wav"])" + extra + "}]}");
    double speech_s = 0.0;
    for (const auto& u : call.truth.utterances) speech_s += u.end_s - u.start_s;
    return speech_s;
  };
  const double normal = duration("");
  CHECK(duration(R"(, "tempo": 1.5)") == Approx(normal / 1.5).epsilon(0.05));
  CHECK(duration(R"(, "tempo": 0.7)") == Approx(normal / 0.7).epsilon(0.05));
  auto f0_range = [](const std::string& extra) {
    // Without a band limit: the pitch measured here must not depend on how well the
    // tracker copes with a missing fundamental.
    const auto call = compose(R"({"band": "none", "turns": [{"role": "agent", "utterances": ["08a01Na.wav", "08a02Na.wav"])" +
                              extra + "}]}");
    std::vector<float> f0;
    tw::features::FeatureExtractor extractor;
    extractor.process(channel_of(call.interleaved, 1), [&](const tw::features::HopFeatures& h) {
      if (h.voiced && h.vad) f0.push_back(h.f0_semitones);
    });
    std::sort(f0.begin(), f0.end());
    return std::pair{f0[f0.size() / 2], f0[f0.size() * 9 / 10] - f0[f0.size() / 10]};
  };
  const auto [median, range] = f0_range("");
  const auto [fast_median, fast_range] = f0_range(R"(, "tempo": 1.5)");
  const auto [flat_median, flat_range] = f0_range(R"(, "monotone": true)");
  std::printf("agent 08: F0 median %.1f st, range %.1f st; at tempo 1.5 %.1f / %.1f; monotone %.1f / %.1f\n", median,
              range, fast_median, fast_range, flat_median, flat_range);
  CHECK(fast_median == Approx(median).margin(1.0));  // the pitch is kept
  CHECK(flat_median == Approx(median).margin(1.0));  // held at the voice's own median
  // The flattened voice keeps a residue the tracker reads at onsets and offsets:
  // 2.4 of 9.1 st with the tracker before the path stage, 2.8 of 9.1 st with it.
  // A third of the voice's own range still separates flat from natural by far.
  CHECK(flat_range < range / 3.0);
  // Without a band the call keeps energy below 300 Hz; the steep band removes it.
  auto low_share = [](const std::string& band) {
    const auto call = compose(R"({"band": ")" + band + R"(", "turns": [{"role": "caller", "utterances": ["03a01Nc.wav"]}]})");
    const auto x = channel_of(call.interleaved, 0);
    const auto low = tw::tools::fir_band_pass(x, kRate, 60.0, 250.0, 401, 80.0);
    return rms_dbfs(low) - rms_dbfs(x);
  };
  CHECK(low_share("none") > -25.0);
  CHECK(low_share("steep") < -40.0);
}

TEST_CASE("composed call: dead air and selectors", "[tools][composer][data]") {
  const auto call = compose(R"({"turns": [
      {"role": "agent", "gap_s": 0.5, "utterances": ["08a01Na.wav"]},
      {"silence_s": 3.0, "label": "hold"},
      {"role": "caller", "gap_s": 0.4, "utterances": [{"speaker": "03", "emotion": "W"}, {"speaker": "03", "emotion": "W"},
                                                      {"speaker": "03", "emotion": "N", "text": "a01"}]}
    ]})");
  const auto& truth = call.truth;
  REQUIRE(truth.silences.size() == 1);
  CHECK(truth.silences[0].turn == 1);
  CHECK(truth.silences[0].label == "hold");
  CHECK(truth.silences[0].start_s == Approx(truth.turns[0].end_s).margin(1.0 / kRate));
  CHECK(truth.silences[0].end_s - truth.silences[0].start_s == Approx(3.4).margin(1.0 / kRate));
  CHECK(truth.turns[1].start_s == Approx(truth.silences[0].end_s).margin(1.0 / kRate));
  // Dead air really is silent on both channels (line noise only).
  for (const int channel : {0, 1}) {
    CHECK(rms_dbfs(slice(channel_of(call.interleaved, channel), truth.silences[0].start_s + 0.2,
                         truth.silences[0].end_s - 0.2)) == Approx(-60.0).margin(1.0));
  }

  // Selectors pick the best-recognised unused recordings, never the same one twice.
  REQUIRE(truth.utterances.size() == 4);
  const auto angry = emodb().select("03", 'W', "");
  REQUIRE(angry.size() >= 2);
  CHECK(truth.utterances[1].source->file == angry[0]->file);
  CHECK(truth.utterances[2].source->file == angry[1]->file);
  CHECK(angry[0]->recognition_pct >= angry[1]->recognition_pct);
  CHECK(truth.utterances[3].source->file == "03a01Nc.wav");

  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "utterances": [{"speaker": "03", "emotion": "W",
                                          "text": "z99"}]}]})"),
                    Contains("turns[0].utterances[0]") && Contains("speaker 03") && Contains("z99"));
}

TEST_CASE("composed call: a missing file or a clipping gain fails naming it", "[tools][composer][data]") {
  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "utterances": ["03a01Nc.wav"]},
                                          {"role": "agent", "utterances": ["08a01Na.wav", "99z99Xx.wav"]}]})"),
                    Contains("turns[1].utterances[1]") && Contains("99z99Xx.wav"));
  // Listed in labels.csv, but EmoDB's 16 kHz set has no recording of it.
  std::string listed_without_audio;
  for (const auto& u : emodb().utterances()) {
    if (!u.has_audio) {
      listed_without_audio = u.file;
      break;
    }
  }
  REQUIRE(!listed_without_audio.empty());
  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "utterances": [")" + listed_without_audio + R"("]}]})"),
                    Contains(listed_without_audio) && Contains("missing"));
  CHECK_THROWS_WITH(compose(R"({"turns": [{"role": "caller", "gain_db": 20, "utterances": ["03a05Wa.wav"]}]})"),
                    Contains("turns[0].utterances[0]") && Contains("03a05Wa.wav") && Contains("clip"));
  CHECK_THROWS_WITH(tw::tools::EmodbCatalog(tw::test::scratch_dir() + "/no_emodb_here"), Contains("no_emodb_here"));
}

// --- the bundled example call ---------------------------------------------------------------------

TEST_CASE("example call: the committed audio matches its truth and its story", "[tools][composer][example]") {
  const std::string dir = tw::build::source_dir() + "/examples";
  const std::string wav = dir + "/example_call.wav";
  REQUIRE(std::filesystem::exists(wav));
  CHECK(std::filesystem::file_size(wav) < 2'000'000);
  const auto truth = nlohmann::json::parse(tw::test::read_text(dir + "/example_call.truth.json"));
  tw::io::AudioFileSource file(wav);
  REQUIRE(file.format().channels == 2);
  CHECK(file.format().sample_rate_hz == kRate);
  CHECK(file.format().description.find("U-Law") != std::string::npos);
  CHECK(file.format().frames == truth["audio"]["frames"].get<std::int64_t>());
  const double duration_s = static_cast<double>(file.format().frames) / kRate;
  CHECK(duration_s >= 60.0);
  CHECK(duration_s <= 90.0);
  const std::vector<float> audio = tw::io::read_all(file);
  const std::vector<float> channels[2] = {channel_of(audio, 0), channel_of(audio, 1)};

  CHECK(truth["channels"][0]["role"] == "caller");
  CHECK(truth["channels"][1]["role"] == "agent");
  CHECK(truth["channels"][0]["speakers"].size() == 1);
  CHECK(truth["channels"][1]["speakers"].size() == 1);
  CHECK(truth["channels"][0]["speakers"][0]["sex"] != truth["channels"][1]["speakers"][0]["sex"]);

  // Every utterance is on its own channel at its level; the other side is quiet
  // there except where the truth lists an overlap.
  int angry_in_a_row = 0, longest_angry_run = 0;
  for (const auto& u : truth["utterances"]) {
    const int channel = u["channel"].get<int>();
    const double start_s = u["start_s"].get<double>(), end_s = u["end_s"].get<double>();
    INFO(u["file"] << " " << start_s << "-" << end_s << " s");
    CHECK(channel == (u["role"] == "caller" ? 0 : 1));
    CHECK(tw::tools::active_speech_level_dbfs(slice(channels[channel], start_s, end_s), kRate) ==
          Approx(u["level_dbfs"].get<double>()).margin(1.0));
    bool overlapped = false;
    for (const auto& o : truth["overlaps"]) {
      const double o_start = o["start_s"].get<double>(), o_end = o_start + o["duration_s"].get<double>();
      overlapped = overlapped || (o_start < end_s && o_end > start_s);
    }
    if (!overlapped) CHECK(rms_dbfs(slice(channels[1 - channel], start_s, end_s)) < -55.0);
    if (u["role"] == "caller") {
      angry_in_a_row = u["emotion"] == "W" ? angry_in_a_row + 1 : 0;
      longest_angry_run = std::max(longest_angry_run, angry_in_a_row);
    } else {
      CHECK(u["emotion"] == "N");  // the agent stays neutral
    }
  }
  // The story: the caller starts and ends calm, and vents in a long angry stretch.
  const auto& utterances = truth["utterances"];
  CHECK(utterances.front()["role"] == "caller");
  CHECK(utterances.front()["emotion"] == "N");
  CHECK(utterances.back()["emotion"] == "N");
  CHECK(longest_angry_run >= 5);
  CHECK(truth["overlaps"].size() >= 1);
  for (const auto& o : truth["overlaps"]) CHECK(o["interrupter"] == "caller");
  CHECK(truth["silences"].size() >= 1);
}

TEST_CASE("example call: regenerating from the script gives the committed call", "[tools][composer][example][data]") {
  const std::string dir = tw::build::source_dir() + "/examples";
  auto script = tw::tools::load_call_script(dir + "/example_call.json");
  const auto call = tw::tools::compose_call(script, emodb());
  // A stale example (script or composer changed, example not regenerated) fails here:
  // run `cmake --build <build> --target example_call` and commit the result.
  CHECK(tw::tools::truth_to_json(call, {"example_call.json", "example_call.wav", "ulaw"}) ==
        tw::test::read_text(dir + "/example_call.truth.json"));
  const std::vector<float> committed = tw::io::load_channel(dir + "/example_call.wav", kRate, 0);
  const std::vector<float> composed = channel_of(call.interleaved, 0);
  REQUIRE(committed.size() == composed.size());
  // mu-law keeps about 38 dB of signal-to-quantisation ratio; anything else differing shows far more.
  double error = 0.0, signal = 0.0;
  for (std::size_t i = 0; i < composed.size(); ++i) {
    error += (double{committed[i]} - composed[i]) * (double{committed[i]} - composed[i]);
    signal += double{composed[i]} * composed[i];
  }
  CHECK(10.0 * std::log10(signal / error) > 30.0);
}
