// Voice activity on real speech with known speech intervals: EmoDB utterances
// separated by 1-3 s silences, in white noise at 20 and 10 dB SNR and in real
// off-air HF radio noise.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "dsp/stream_spec.h"
#include "features/feature_extractor.h"
#include "features/voice_activity_detector.h"
#include "features/window_summary.h"
#include "io/resampling_source.h"
#include "support/shared_data.h"
#include "support/synth.h"

namespace {

constexpr int kRate = tw::dsp::kAnalysisRateHz;

struct Interval {
  double begin_s, end_s;
};

// Speech in an EmoDB .silb file: from the first syllable onset to the final
// `.` line, which marks the end of speech.
Interval read_silb(const std::string& path) {
  std::ifstream in(path);
  if (!in) FAIL("cannot read " << path);
  double first = -1.0, end = -1.0, t = 0.0;
  std::string label;
  while (in >> t >> label) {
    if (label == ".") {
      end = t;
      break;
    }
    if (first < 0.0) first = t;
  }
  if (first < 0.0 || end <= first) FAIL(path << ": no syllables before the end mark");
  return {first, end};
}

// About four utterances per EmoDB speaker, spread over texts and emotions:
// every speaker's name-sorted list sampled at even positions.
std::vector<std::string> pick_utterances(const std::string& wav_dir, const std::string& silb_dir) {
  std::map<std::string, std::vector<std::string>> by_speaker;
  for (const auto& entry : std::filesystem::directory_iterator(wav_dir)) {
    const std::string name = entry.path().stem().string();
    const std::string silb = silb_dir + "/" + name + ".silb";
    if (entry.path().extension() != ".wav" || !std::filesystem::exists(silb) ||
        std::filesystem::file_size(silb) == 0) {
      continue;
    }
    by_speaker[name.substr(0, 2)].push_back(name);
  }
  std::vector<std::string> picked;
  for (auto& [speaker, names] : by_speaker) {
    std::sort(names.begin(), names.end());
    for (std::size_t i = 0; i < 4; ++i) picked.push_back(names[(2 * i + 1) * names.size() / 8]);
  }
  return picked;
}

struct Scene {
  std::vector<float> clean;
  std::vector<Interval> speech;   // truth, in scene time
  std::vector<Interval> gaps;     // the inserted silences
};

// Utterances separated by seeded 1-3 s silences, after 2 s of lead-in silence
// (a call starts with line noise) and 1 s at the end.
Scene build_scene() {
  const std::string wav_dir = tw::test::shared_data_path("emodb/wav");
  const std::string silb_dir = tw::test::shared_data_path("emodb/silb");
  const auto names = pick_utterances(wav_dir, silb_dir);
  REQUIRE(names.size() == 40);
  Scene scene;
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> gap_s(1.0, 3.0);
  auto append_silence = [&](double seconds) {
    const double begin = static_cast<double>(scene.clean.size()) / kRate;
    scene.clean.resize(scene.clean.size() + static_cast<std::size_t>(seconds * kRate), 0.0f);
    scene.gaps.push_back({begin, static_cast<double>(scene.clean.size()) / kRate});
  };
  append_silence(2.0);
  for (const std::string& name : names) {
    const std::vector<float> x = tw::io::load_channel(wav_dir + "/" + name + ".wav", kRate);
    const Interval truth = read_silb(silb_dir + "/" + name + ".silb");
    const double offset = static_cast<double>(scene.clean.size()) / kRate;
    REQUIRE(truth.end_s <= static_cast<double>(x.size()) / kRate + 0.02);
    scene.speech.push_back({offset + truth.begin_s, offset + truth.end_s});
    scene.clean.insert(scene.clean.end(), x.begin(), x.end());
    append_silence(name == names.back() ? 1.0 : gap_s(rng));
  }
  return scene;
}

double speech_rms(const Scene& scene) {
  double sum = 0.0;
  std::size_t n = 0;
  for (const Interval& s : scene.speech) {
    for (auto i = static_cast<std::size_t>(s.begin_s * kRate); i < static_cast<std::size_t>(s.end_s * kRate); ++i) {
      sum += static_cast<double>(scene.clean[i]) * scene.clean[i];
      ++n;
    }
  }
  return std::sqrt(sum / static_cast<double>(n));
}

// Real noise: a noise-only stretch of the codec2 off-air HF recording vk5qi
// (0-0.75 s, before the operator speaks: about -49 dBFS against -22 dBFS speech),
// looped back and forth so the loop has no discontinuity.
std::vector<float> radio_noise(std::size_t length) {
  const std::vector<float> recording = tw::io::load_channel(tw::test::shared_data_path("radio_speech/vk5qi.wav"), kRate);
  REQUIRE(recording.size() > 6000);
  const std::vector<float> stretch(recording.begin(), recording.begin() + 6000);
  std::vector<float> noise(length);
  const std::size_t n = stretch.size();
  for (std::size_t i = 0; i < length; ++i) {
    const std::size_t cycle = i / (n - 1), within = i % (n - 1);
    noise[i] = stretch[cycle % 2 == 0 ? within : n - 1 - within];
  }
  // Remove the DC of the recording; the level is set by the caller.
  double mean = 0.0;
  for (float v : noise) mean += v;
  mean /= static_cast<double>(length);
  for (float& v : noise) v = static_cast<float>(v - mean);
  return noise;
}

std::vector<float> white_noise(std::size_t length, std::uint32_t seed) {
  std::vector<float> noise(length);
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  for (float& v : noise) v = static_cast<float>(gauss(rng));
  return noise;
}

std::vector<float> mix(const Scene& scene, std::vector<float> noise, double snr_db) {
  double noise_ms = 0.0;
  for (float v : noise) noise_ms += static_cast<double>(v) * v;
  noise_ms /= static_cast<double>(noise.size());
  const double gain = speech_rms(scene) / std::pow(10.0, snr_db / 20.0) / std::sqrt(noise_ms);
  std::vector<float> x = scene.clean;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(x[i] + gain * noise[i]);
  return x;
}

// Boundary collars, excluded from scoring: the label marks a syllable onset
// and the end of speech to within a few tens of ms, and the VAD sees a 40 ms
// frame (+-20 ms) after 30 ms of smoothing, so 50 ms either side of a speech
// start is undecidable; after a speech end the VAD holds on for its 200 ms
// hangover by design, so 50 ms before to 250 ms after an end are not scored.
constexpr double kOnsetCollar_s = 0.05;
constexpr double kOffsetCollarBefore_s = 0.05;
constexpr double kOffsetCollarAfter_s = 0.25;
// False alarms are counted in the inserted silences away from speech (beyond
// the collars): where nothing but noise reaches the VAD.
struct Score {
  std::size_t scored = 0, agree = 0, hops = 0, raw_agree = 0;
  std::size_t speech = 0, missed = 0, silence = 0, false_alarms = 0;
  double agreement() const { return static_cast<double>(agree) / static_cast<double>(scored); }
  double raw_agreement() const { return static_cast<double>(raw_agree) / static_cast<double>(hops); }
  double miss_rate() const { return static_cast<double>(missed) / static_cast<double>(speech); }
  double false_alarm_rate() const { return static_cast<double>(false_alarms) / static_cast<double>(silence); }
};

Score score(const Scene& scene, const std::vector<float>& x) {
  tw::features::FeatureExtractor extractor;
  Score s;
  extractor.process(x, [&](const tw::features::HopFeatures& h) {
    const double t = h.time_s;
    bool truth = false, collar = false;
    for (const Interval& iv : scene.speech) {
      if (t >= iv.begin_s && t < iv.end_s) truth = true;
      if (std::abs(t - iv.begin_s) < kOnsetCollar_s) collar = true;
      if (t >= iv.end_s - kOffsetCollarBefore_s && t < iv.end_s + kOffsetCollarAfter_s) collar = true;
    }
    ++s.hops;
    s.raw_agree += h.vad == truth;
    if (collar) return;
    ++s.scored;
    s.agree += h.vad == truth;
    if (truth) {
      ++s.speech;
      s.missed += !h.vad;
    }
    bool in_gap = false;
    for (const Interval& g : scene.gaps) in_gap = in_gap || (t >= g.begin_s && t < g.end_s);
    if (in_gap && !truth) {
      ++s.silence;
      s.false_alarms += h.vad;
    }
  });
  return s;
}

}  // namespace

TEST_CASE("voice activity agrees with EmoDB speech intervals in noise", "[data][vad]") {
  const Scene scene = build_scene();
  const double total_speech_s = [&] {
    double sum = 0.0;
    for (const Interval& s : scene.speech) sum += s.end_s - s.begin_s;
    return sum;
  }();
  std::printf("VAD scene: 40 EmoDB utterances (4 per speaker), %.1f s, %.1f s of speech\n",
              static_cast<double>(scene.clean.size()) / kRate, total_speech_s);

  struct Condition {
    const char* name;
    bool radio;
    double snr_db;
    double min_agreement;
  };
  // 20 dB: >= 90 %; 10 dB: >= 85 % (the brief's targets). Radio noise is held
  // to the 10 dB target at 10 dB SNR.
  const Condition conditions[] = {
      {"white 20 dB", false, 20.0, 0.90},
      {"white 10 dB", false, 10.0, 0.85},
      {"radio 20 dB", true, 20.0, 0.90},
      {"radio 10 dB", true, 10.0, 0.85},
  };
  for (const Condition& c : conditions) {
    const auto noise = c.radio ? radio_noise(scene.clean.size()) : white_noise(scene.clean.size(), 99);
    const std::vector<float> x = mix(scene, noise, c.snr_db);
    const Score s = score(scene, x);
    std::printf("VAD %-12s agreement %.1f %% (%zu scored hops; %.1f %% counting every hop), miss %.1f %%, "
                "false alarms in silences %.1f %% (%zu hops)\n",
                c.name, 100.0 * s.agreement(), s.scored, 100.0 * s.raw_agreement(), 100.0 * s.miss_rate(),
                100.0 * s.false_alarm_rate(), s.silence);
    INFO(c.name << ": agreement " << 100.0 * s.agreement() << " %, miss " << 100.0 * s.miss_rate()
                << " %, false alarms " << 100.0 * s.false_alarm_rate() << " %");
    CHECK(s.scored >= s.hops * 8 / 10);  // the collars leave most hops scored
    CHECK(s.agreement() >= c.min_agreement);
    CHECK(s.false_alarm_rate() <= 0.05);
    CHECK(s.miss_rate() <= 0.15);
  }
}

TEST_CASE("low-frequency noise alone is neither speech nor voice", "[vad][pitch]") {
  // Brown noise (a leaky integral of white noise: power falling 6 dB/octave),
  // like rumble or wind on a wideband line. Its difference function keeps
  // falling towards long lags, which must not read as a 60 Hz voice, and its
  // level must not read as speech against a floor set by the zero-padded start.
  std::mt19937 rng(7);
  std::normal_distribution<double> white(0.0, 1.0);
  std::vector<float> brown(20 * 8000);
  double state = 0.0;
  for (float& x : brown) {
    state = 0.995 * state + white(rng);
    x = static_cast<float>(state);
  }
  double mean_square = 0.0;
  for (float x : brown) mean_square += static_cast<double>(x) * x;
  const double gain = 0.01 / std::sqrt(mean_square / static_cast<double>(brown.size()));  // about -37 dBFS
  for (float& x : brown) x = static_cast<float>(x * gain);

  tw::features::FeatureExtractor extractor;
  std::size_t hops = 0, speech = 0, voiced = 0;
  extractor.process(brown, [&](const tw::features::HopFeatures& h) {
    ++hops;
    speech += h.vad ? 1 : 0;
    voiced += h.voiced ? 1 : 0;
  });
  std::printf("brown noise: %.1f %% of hops called speech, %.1f %% voiced\n", 100.0 * speech / hops,
              100.0 * voiced / hops);
  CHECK(speech <= hops * 5 / 100);
  CHECK(voiced <= hops * 20 / 100);
}

namespace {

// Gaussian line noise at a level in dB re full-scale sine, seeded.
std::vector<float> line_hiss(std::size_t samples, double level_dbfs, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const double rms = std::pow(10.0, (level_dbfs - 3.0103) / 20.0);
  std::vector<float> x(samples);
  for (float& v : x) v = static_cast<float>(rms * gauss(rng));
  return x;
}

// Vowel-like bursts (a 150 Hz harmonic complex at -26 dBFS, 0.6 s on, 0.25 s
// off) after 2 s of line noise, then 4 s of digital zeros and 4 s of noise
// again. The gaps between bursts hold either digital zeros or the line noise.
struct HoleScene {
  std::vector<float> audio;
  std::vector<bool> zero;  // per sample: digital zero
};

HoleScene hole_scene(bool zero_gaps) {
  constexpr double kNoiseDbfs = -60.0;
  HoleScene s;
  auto append = [&](const std::vector<float>& part, bool zero) {
    s.audio.insert(s.audio.end(), part.begin(), part.end());
    s.zero.insert(s.zero.end(), part.size(), zero);
  };
  std::uint32_t seed = 11;
  append(line_hiss(2 * kRate, kNoiseDbfs, seed++), false);
  for (int burst = 0; burst < 6; ++burst) {
    std::vector<float> voice = tw::test::harmonic_complex(150.0, -26.0, 0.6, kRate);
    const std::vector<float> hiss = line_hiss(voice.size(), kNoiseDbfs, seed++);
    for (std::size_t i = 0; i < voice.size(); ++i) voice[i] += hiss[i];
    append(voice, false);
    const auto gap = static_cast<std::size_t>(0.25 * kRate);
    append(zero_gaps ? std::vector<float>(gap, 0.0f) : line_hiss(gap, kNoiseDbfs, seed++), zero_gaps);
  }
  append(std::vector<float>(4 * kRate, 0.0f), true);
  append(line_hiss(4 * kRate, kNoiseDbfs, seed++), false);
  return s;
}

}  // namespace

TEST_CASE("digital silence is never speech and never enters loudness statistics", "[vad]") {
  const HoleScene holes = hole_scene(true);
  const HoleScene hiss = hole_scene(false);
  tw::features::FeatureExtractor extractor;
  tw::features::WindowSummarizer summarizer;

  std::size_t whole_zero_frames = 0, zero_frames_called_speech = 0, noise_after_hole = 0, noise_after_hole_speech = 0;
  float quietest_speech_db = 0.0f;
  float widest_range_db = 0.0f;
  const auto total = static_cast<std::int64_t>(holes.audio.size());
  const std::int64_t after_hole = total - 4 * kRate;
  extractor.process(holes.audio, [&](const tw::features::HopFeatures& h) {
    // The hop's 40 ms frame: samples [80 n - 160, 80 n + 160).
    const std::int64_t first = h.hop_index * 80 - 160, last = h.hop_index * 80 + 160;
    bool all_zero = first >= 0 && last <= total;
    for (std::int64_t i = std::max<std::int64_t>(first, 0); all_zero && i < last; ++i) all_zero = holes.zero[i];
    if (all_zero) {
      ++whole_zero_frames;
      zero_frames_called_speech += h.vad ? 1 : 0;
    }
    if (first >= after_hole && last <= total) {
      ++noise_after_hole;
      noise_after_hole_speech += h.vad ? 1 : 0;
    }
    if (h.vad) quietest_speech_db = std::min(quietest_speech_db, h.loudness_db);
    if (summarizer.push(h) && std::isfinite(summarizer.summary().loudness_range_db)) {
      widest_range_db = std::max(widest_range_db, summarizer.summary().loudness_range_db);
    }
  });

  tw::features::FeatureExtractor reference_extractor;
  tw::features::WindowSummarizer reference_summarizer;
  float reference_range_db = 0.0f;
  reference_extractor.process(hiss.audio, [&](const tw::features::HopFeatures& h) {
    if (reference_summarizer.push(h) && std::isfinite(reference_summarizer.summary().loudness_range_db)) {
      reference_range_db = std::max(reference_range_db, reference_summarizer.summary().loudness_range_db);
    }
  });
  std::printf("digital silence: %zu/%zu all-zero frames called speech, %zu/%zu noise hops after a 4 s hole; quietest "
              "speech hop %.1f dB; widest loudness range %.1f dB (%.1f dB with line noise in the gaps)\n",
              zero_frames_called_speech, whole_zero_frames, noise_after_hole_speech, noise_after_hole,
              quietest_speech_db, widest_range_db, reference_range_db);
  REQUIRE(whole_zero_frames > 400);
  CHECK(zero_frames_called_speech == 0);
  CHECK(quietest_speech_db > tw::features::kDigitalSilenceDb);
  // Holes in the signal do not stretch the loudness range beyond what line-noise gaps do.
  CHECK(widest_range_db <= reference_range_db + 1.0f);
  // The noise floor did not learn from the hole: the line's noise after it is not speech.
  CHECK(noise_after_hole_speech <= noise_after_hole / 100);
}

TEST_CASE("line noise with lost packets zero-filled is not speech", "[vad]") {
  // 20 s of -60 dBFS line noise with about 2 % of its 20 ms packets zero-filled
  // (as the evaluation's "loss" line condition): a frame straddling a hole reads several dB under the
  // noise, and a floor taught by it would stand below the noise for a whole floor
  // window, calling the noise speech.
  // Losses come one or two packets at a time (VoIP losses are bursty).
  std::vector<float> x = line_hiss(20 * kRate, -60.0, 5);
  std::mt19937 rng(9);
  std::size_t lost = 0;
  for (std::size_t start = 0; start + 320 <= x.size(); start += 160) {
    if (rng() % 75 != 0) continue;
    const std::size_t packets = 1 + lost % 2;
    std::fill(x.begin() + static_cast<std::ptrdiff_t>(start),
              x.begin() + static_cast<std::ptrdiff_t>(start + 160 * packets), 0.0f);
    lost += packets;
    start += 160 * packets;
  }
  tw::features::FeatureExtractor extractor;
  std::size_t hops = 0, speech = 0;
  extractor.process(x, [&](const tw::features::HopFeatures& h) {
    ++hops;
    speech += h.vad ? 1 : 0;
  });
  std::printf("line noise with %zu of %zu packets lost: %zu of %zu hops called speech\n", lost, x.size() / 160, speech,
              hops);
  REQUIRE(lost >= 10);
  CHECK(speech <= hops / 200);
}

TEST_CASE("a line that really gets quieter lowers the floor within a second", "[vad]") {
  // -50 dBFS noise, then -65 dBFS (the far end's noise suppression kicking in):
  // the drop is longer than any packet-loss burst and the floor follows it, so a
  // vowel at -55 dBFS after it is speech.
  std::vector<float> x = line_hiss(4 * kRate, -50.0, 3);
  const std::vector<float> quiet = line_hiss(4 * kRate, -65.0, 4);
  x.insert(x.end(), quiet.begin(), quiet.end());
  std::vector<float> vowel = tw::test::harmonic_complex(150.0, -55.0, 0.5, kRate);
  const std::vector<float> hiss = line_hiss(vowel.size(), -65.0, 6);
  for (std::size_t i = 0; i < vowel.size(); ++i) vowel[i] += hiss[i];
  x.insert(x.end(), vowel.begin(), vowel.end());
  tw::features::FeatureExtractor extractor;
  std::size_t vowel_hops = 0, vowel_speech = 0;
  const std::int64_t vowel_start_hop = 8 * 100 + 5, vowel_end_hop = 8 * 100 + 45;
  extractor.process(x, [&](const tw::features::HopFeatures& h) {
    if (h.hop_index >= vowel_start_hop && h.hop_index < vowel_end_hop) {
      ++vowel_hops;
      vowel_speech += h.vad ? 1 : 0;
    }
  });
  REQUIRE(vowel_hops == 40);
  CHECK(vowel_speech >= 36);
}

TEST_CASE("speech ends with the turn when the line noise rose during it", "[vad]") {
  // An AGC (or a fan switching on) raises the line's noise 6 dB while a speaker
  // talks: -60 dBFS before the turn, -54 dBFS from its middle on. After the turn
  // the noise stands 6 dB over the floor learned before it, inside the offset
  // margin (5-9 dB), and used to hold the detector in speech until the floor
  // window forgot the quieter noise, over a second after the turn had ended (the
  // interruptions read at the first turn change under the evaluation's AGC).
  std::vector<float> x = line_hiss(3 * kRate, -60.0, 21);
  std::vector<float> turn = tw::test::harmonic_complex(140.0, -30.0, 1.6, kRate);
  const std::vector<float> before = line_hiss(turn.size() / 2, -60.0, 22);
  const std::vector<float> after = line_hiss(turn.size() - before.size(), -54.0, 23);
  for (std::size_t i = 0; i < turn.size(); ++i) turn[i] += i < before.size() ? before[i] : after[i - before.size()];
  // Syllable-like modulation, so the turn looks like speech to the level tracker too.
  for (std::size_t i = 0; i < turn.size(); ++i) {
    turn[i] *= static_cast<float>(0.55 - 0.45 * std::cos(2.0 * std::numbers::pi * 4.0 * static_cast<double>(i) / kRate));
  }
  x.insert(x.end(), turn.begin(), turn.end());
  const std::vector<float> tail = line_hiss(3 * kRate, -54.0, 24);
  x.insert(x.end(), tail.begin(), tail.end());

  constexpr double kTurnEndS = 4.6;
  tw::features::FeatureExtractor extractor;
  double last_speech_s = 0.0;
  std::size_t turn_hops = 0, turn_speech = 0;
  extractor.process(x, [&](const tw::features::HopFeatures& h) {
    if (h.vad) last_speech_s = h.time_s;
    if (h.time_s >= 3.1 && h.time_s < kTurnEndS - 0.1) {
      ++turn_hops;
      turn_speech += h.vad ? 1 : 0;
    }
  });
  std::printf("noise up 6 dB during a turn: speech ends %.2f s after the turn (last speech hop at %.2f s)\n",
              last_speech_s - kTurnEndS, last_speech_s);
  CHECK(turn_speech >= turn_hops * 95 / 100);  // the turn itself is still speech
  // Hangover (0.2 s) plus offset_voiced_within_s (0.3 s) and the frame's half length.
  CHECK(last_speech_s <= kTurnEndS + 0.6);
}

TEST_CASE("line hiss starting after digital silence through a resampler is not speech", "[vad]") {
  // A sound device captured at 16 kHz: digital silence until the call's hiss
  // begins 0.4 s in. Resampled to the analysis rate, the silence next to the
  // hiss holds the resampler's ringing (samples of about 1e-7) instead of zeros;
  // a floor taught by those frames stood 30 dB under the hiss for the whole
  // floor window and called the hiss speech (a PulseAudio capture in the
  // [device] test read a false interruption from it).
  constexpr int kDeviceRate = 16000;
  std::vector<float> device(static_cast<std::size_t>(0.4 * kDeviceRate), 0.0f);
  const std::vector<float> hiss = line_hiss(6 * kDeviceRate, -60.0, 11);
  device.insert(device.end(), hiss.begin(), hiss.end());
  tw::dsp::Resampler resampler(kDeviceRate, kRate, 1);
  std::vector<float> x;
  const auto keep = [&](std::span<const float> out) { x.insert(x.end(), out.begin(), out.end()); };
  resampler.process(device, keep);
  resampler.flush(keep);
  // The ringing is there: tiny samples, neither zero nor hiss.
  std::size_t tiny = 0;
  for (const float v : x) tiny += (v != 0.0f && std::abs(v) < 1e-6f) ? 1 : 0;
  tw::features::FeatureExtractor extractor;
  std::size_t hops = 0, speech = 0;
  extractor.process(x, [&](const tw::features::HopFeatures& h) {
    ++hops;
    speech += h.vad ? 1 : 0;
  });
  std::printf("hiss after digital silence, resampled 16 -> 8 kHz: %zu tiny samples, %zu of %zu hops called speech\n",
              tiny, speech, hops);
  CHECK(tiny >= 4);
  CHECK(speech == 0);
}

// The hole check probes every 16th sample; a brute-force scan is the truth. Runs of
// 15 and 16 near-zero samples (and values either side of the 2^-20 bound) at every
// offset of a 256-sample frame of noise, plus random sparse zeros.
TEST_CASE("holds_zero_run finds a run of 16 near-zero samples wherever it lies", "[vad]") {
  const auto brute = [](const std::vector<float>& x) {
    std::size_t run = 0;
    for (float v : x) {
      run = std::abs(v) < 1.0f / static_cast<float>(1 << 20) ? run + 1 : 0;
      if (run >= 16) return true;
    }
    return false;
  };
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(0.001f, 0.1f);
  std::vector<float> frame(256);
  int with = 0, without = 0;
  for (std::size_t length : {15u, 16u, 17u, 31u}) {
    for (std::size_t offset = 0; offset + length <= frame.size(); ++offset) {
      for (float zero : {0.0f, 0.9f / static_cast<float>(1 << 20), 1.1f / static_cast<float>(1 << 20)}) {
        for (float& v : frame) v = noise(rng) * ((rng() & 1) != 0 ? 1.0f : -1.0f);
        for (std::size_t i = offset; i < offset + length; ++i) frame[i] = (i % 3 == 0) ? -zero : zero;
        const bool expected = brute(frame);
        (expected ? with : without)++;
        REQUIRE(tw::features::holds_zero_run(frame) == expected);
      }
    }
  }
  std::bernoulli_distribution sparse(0.7);
  for (int trial = 0; trial < 2000; ++trial) {
    for (float& v : frame) v = sparse(rng) ? 0.0f : noise(rng);
    const bool expected = brute(frame);
    (expected ? with : without)++;
    REQUIRE(tw::features::holds_zero_run(frame) == expected);
  }
  CHECK(with > 500);
  CHECK(without > 500);
}

// The pitch search is skipped on hops under pitch_search_snr_db; since that is at
// most voiced_snr_db, under which voicing cannot make a hop speech, every VAD
// decision must be the one a search on every hop gives. And a noisy scene's
// silences really go unsearched (their voicing is exactly 0).
TEST_CASE("skipping the pitch search under the voiced SNR leaves every VAD decision unchanged", "[data][vad]") {
  const Scene scene = build_scene();
  for (const double snr_db : {20.0, 10.0}) {
    const std::vector<float> x = mix(scene, white_noise(scene.clean.size(), 99), snr_db);
    const auto run = [&](float search_snr_db, std::vector<bool>& vad, std::size_t& unsearched_in_gaps) {
      tw::features::FeatureConfig config;
      config.vad.pitch_search_snr_db = search_snr_db;
      tw::features::FeatureExtractor extractor(config);
      unsearched_in_gaps = 0;
      extractor.process(x, [&](const tw::features::HopFeatures& h) {
        vad.push_back(h.vad);
        bool in_gap = false;
        for (const Interval& g : scene.gaps) in_gap = in_gap || (h.time_s >= g.begin_s + 0.3 && h.time_s < g.end_s - 0.3);
        if (in_gap && h.voicing == 0.0f) ++unsearched_in_gaps;
      });
    };
    std::vector<bool> everywhere, at_voiced, at_default;
    std::size_t unsearched_everywhere = 0, unsearched_at_voiced = 0, unsearched_at_default = 0;
    run(-1000.0f, everywhere, unsearched_everywhere);
    run(tw::features::VoiceActivityConfig{}.voiced_snr_db, at_voiced, unsearched_at_voiced);
    run(tw::features::VoiceActivityConfig{}.pitch_search_snr_db, at_default, unsearched_at_default);
    INFO("SNR " << snr_db << " dB");
    REQUIRE(everywhere.size() > 10000);
    CHECK(at_voiced == everywhere);
    CHECK(at_default == everywhere);
    // Searched noise gives some voicing > 0 on nearly every hop; skipped hops give 0.
    std::size_t gap_hops = 0;
    for (const Interval& g : scene.gaps) gap_hops += static_cast<std::size_t>(std::max(0.0, g.end_s - g.begin_s - 0.6) * 100.0);
    std::printf("white noise at %.0f dB: %zu of ~%zu hops inside silences unsearched at the default (%zu when searching all)\n",
                snr_db, unsearched_at_default, gap_hops, unsearched_everywhere);
    CHECK(unsearched_at_default > gap_hops / 2);
    CHECK(unsearched_everywhere < gap_hops / 10);
    // A higher search margin spares at least as many hops.
    CHECK(unsearched_at_voiced >= unsearched_at_default);
  }
}
