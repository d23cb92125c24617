#pragma once
// An IngestSink that keeps everything an adapter hands it, for the telephony
// tests: per track, the delivered samples in order, with a check that every
// block starts where the previous one ended (sample-exact stream time).

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "telephony/ingest_sink.h"

namespace tw::test {

struct AudioBlock {
  int track = 0;
  std::int64_t first_sample = 0;
  std::int64_t frames = 0;
  bool filled = false;
};

class RecordingSink : public telephony::IngestSink {
 public:
  std::vector<telephony::StreamStart> starts;
  std::map<int, std::vector<float>> audio;   // track -> interleaved samples, silence included
  std::map<int, std::int64_t> filled_frames; // track -> frames of gaps (as silence in `audio`)
  std::vector<telephony::TrackGap> gaps;     // every gap, in order
  std::vector<AudioBlock> blocks;
  std::vector<telephony::DtmfEvent> dtmf;
  std::vector<std::pair<telephony::EndReason, std::string>> ends;
  std::vector<std::string> sent;
  std::vector<std::pair<std::string, std::string>> notices;
  int discontinuities = 0;     // blocks that did not start where the track's previous block ended
  int audio_before_start = 0;  // blocks delivered before on_stream_start

  void on_stream_start(const telephony::StreamStart& start) override { starts.push_back(start); }
  void on_audio(const telephony::TrackAudio& a) override {
    if (starts.empty()) ++audio_before_start;
    auto& samples = audio[a.track];
    const std::int64_t have = a.channels > 0 ? static_cast<std::int64_t>(samples.size()) / a.channels : 0;
    if (a.first_sample != have) ++discontinuities;
    samples.insert(samples.end(), a.samples.begin(), a.samples.end());
    blocks.push_back({a.track, a.first_sample, a.frames(), false});
  }
  void on_gap(const telephony::TrackGap& g) override {
    if (starts.empty()) ++audio_before_start;
    const int channels = starts.empty() || g.track >= static_cast<int>(starts.back().tracks.size())
                             ? 1
                             : starts.back().tracks[static_cast<std::size_t>(g.track)].channels();
    auto& samples = audio[g.track];
    const std::int64_t have = static_cast<std::int64_t>(samples.size()) / channels;
    if (g.first_sample != have) ++discontinuities;
    // Kept as silence (up to an hour at 8 kHz) so a test can read the track sample by sample.
    if (g.frames <= 3600 * 8000) samples.insert(samples.end(), static_cast<std::size_t>(g.frames * channels), 0.0f);
    filled_frames[g.track] += g.frames;
    gaps.push_back(g);
    blocks.push_back({g.track, g.first_sample, g.frames, true});
  }
  void on_dtmf(const telephony::DtmfEvent& event) override { dtmf.push_back(event); }
  void on_stream_end(telephony::EndReason reason, std::string_view detail) override {
    ends.emplace_back(reason, std::string(detail));
  }
  void send_text(std::string_view message) override { sent.emplace_back(message); }
  void on_notice(std::string_view event, std::string_view detail) override {
    notices.emplace_back(std::string(event), std::string(detail));
  }
};

/// A sink that only counts, so it allocates nothing itself (allocation tests).
class CountingSink : public telephony::IngestSink {
 public:
  std::int64_t frames = 0;
  std::int64_t blocks = 0;
  double sum = 0.0;
  void on_stream_start(const telephony::StreamStart&) override {}
  void on_audio(const telephony::TrackAudio& a) override {
    frames += a.frames();
    ++blocks;
    for (const float s : a.samples) sum += s;
  }
  std::int64_t gap_frames = 0;
  void on_gap(const telephony::TrackGap& g) override { gap_frames += g.frames; }
  void on_dtmf(const telephony::DtmfEvent&) override {}
  void on_stream_end(telephony::EndReason, std::string_view) override {}
  void send_text(std::string_view) override {}
};

/// RFC 4648 base64 with padding, written here independently of the product's decoder.
inline std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (bytes.size() - i == 1) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (bytes.size() - i == 2) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace tw::test
