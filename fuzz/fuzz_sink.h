#pragma once
// The sink every adapter fuzz target uses: it checks the adapters' promises on
// every call and traps (a libFuzzer crash) when one is broken:
//  - audio samples are finite and in [-1, 1];
//  - each track's blocks and gaps are contiguous (first_sample equals the frames so far);
//  - audio and DTMF only between on_stream_start and on_stream_end, end at most once;
//  - a block's size is a whole number of frames of the track's channel count;
//  - the stream's metadata nests no deeper than kMaxJsonDepth, and can be copied
//    and dumped as the server does (both recurse once per level: the crash of
//    issue 22 was there, past a depth only a -max_len of 200 KB reaches).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "telephony/ingest_sink.h"
#include "telephony/json_parse.h"

namespace tw::fuzz {

class CheckingSink : public telephony::IngestSink {
 public:
  void on_stream_start(const telephony::StreamStart& start) override {
    if (started_ || ended_) std::abort();
    started_ = true;
    tracks_ = static_cast<int>(start.tracks.size());
    if (tracks_ <= 0 || tracks_ > 2 || start.sample_rate_hz <= 0) std::abort();
    for (int t = 0; t < tracks_; ++t) channels_[t] = start.tracks[static_cast<std::size_t>(t)].channels();
    if (depth(start.metadata) > telephony::kMaxJsonDepth) std::abort();
    const nlohmann::json copy = start.metadata;
    metadata_bytes_ += copy.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).size();
  }
  void on_audio(const telephony::TrackAudio& audio) override {
    if (!started_ || ended_) std::abort();
    if (audio.track < 0 || audio.track >= tracks_ || audio.channels != channels_[audio.track]) std::abort();
    if (audio.samples.size() % static_cast<std::size_t>(audio.channels) != 0 || audio.samples.empty()) std::abort();
    if (audio.first_sample != frames_[audio.track]) std::abort();
    for (const float s : audio.samples) {
      if (!std::isfinite(s) || s < -1.0f || s > 1.0f) std::abort();
    }
    frames_[audio.track] += audio.frames();
  }
  void on_gap(const telephony::TrackGap& gap) override {
    if (!started_ || ended_) std::abort();
    if (gap.track < 0 || gap.track >= tracks_ || gap.frames <= 0 || gap.first_sample != frames_[gap.track]) std::abort();
    frames_[gap.track] += gap.frames;
  }
  void on_dtmf(const telephony::DtmfEvent&) override {
    if (!started_ || ended_) std::abort();
  }
  void on_stream_end(telephony::EndReason, std::string_view) override {
    if (!started_ || ended_) std::abort();
    ended_ = true;
  }
  void send_text(std::string_view message) override { sent_bytes_ += message.size(); }

 private:
  bool started_ = false;
  bool ended_ = false;
  int tracks_ = 0;
  int channels_[2] = {0, 0};
  std::int64_t frames_[2] = {0, 0};
  std::size_t sent_bytes_ = 0;
  std::size_t metadata_bytes_ = 0;

  // Depth of a value (a scalar is 0, {} is 1), without recursion.
  static int depth(const nlohmann::json& value) {
    int deepest = 0;
    std::vector<std::pair<const nlohmann::json*, int>> stack{{&value, 1}};
    while (!stack.empty()) {
      const auto [v, d] = stack.back();
      stack.pop_back();
      if (!v->is_structured()) continue;
      deepest = std::max(deepest, d);
      for (const auto& child : *v) stack.emplace_back(&child, d + 1);
    }
    return deepest;
  }
};

/// Splits a fuzz input into messages at the ASCII record separator (0x1E).
template <class OnPiece>
void for_each_piece(const std::uint8_t* data, std::size_t size, OnPiece&& on_piece) {
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i == size || data[i] == 0x1E) {
      if (!on_piece(std::span<const std::uint8_t>(data + begin, i - begin))) return;
      begin = i + 1;
    }
  }
}

inline std::string_view as_text(std::span<const std::uint8_t> piece) {
  return std::string_view(reinterpret_cast<const char*>(piece.data()), piece.size());
}

}  // namespace tw::fuzz
