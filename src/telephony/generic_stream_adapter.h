#pragma once
// The generic WebSocket audio stream: one JSON text message of metadata, then
// binary messages of raw audio. This is the shape FreeSWITCH mod_audio_fork
// (drachtio-freeswitch-modules, modules/mod_audio_fork/README.md: "a text frame
// of metadata, then binary frames of L16 audio"), mod_audio_stream and Asterisk
// chan_websocket (docs.asterisk.org, "WebSocket channel driver") send; the
// metadata keys are tonewatch's own and the dialplan sets them:
//
//   {"call_id": "abc-123", "sample_rate": 8000, "channels": 2,
//    "encoding": "L16", "roles": ["caller", "agent"], "agent_id": "A17"}
//
//   call_id      required, non-empty string: joins legs into a call
//   sample_rate  required, integer Hz in [8000, 48000]; PCMU/PCMA must be 8000
//   channels     1 or 2 (default 1); channels are interleaved
//   encoding     "L16" (signed 16-bit little-endian, default), "PCMU", "PCMA"
//   roles        one of "caller"/"agent" per channel, in channel order, no repeats
//                (default: ["caller"] or ["caller", "agent"])
//   anything else is kept as call metadata (StreamStart::metadata)
//
// No timestamps: time is the count of samples received. A binary message may
// end inside a sample or a stereo frame; the remainder waits for the next one.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "telephony/audio_encoding.h"
#include "telephony/audio_output.h"
#include "telephony/ingest_sink.h"
#include "telephony/json_parse.h"
#include "telephony/protocol.h"

namespace tw::telephony {

struct GenericStreamConfig {
  std::size_t max_message_bytes = 256 * 1024;  ///< larger binary (audio) messages close the connection (1009)
  std::size_t max_json_bytes = 64 * 1024;      ///< larger text (metadata) messages close the connection (1009)
  int max_json_depth = kMaxJsonDepth;          ///< metadata nested deeper closes the connection (1008), unparsed
};

/// One generic WebSocket stream. Not thread-safe.
class GenericStreamAdapter {
 public:
  static constexpr int kMinRateHz = 8000;
  static constexpr int kMaxRateHz = 48000;
  static constexpr int kMaxChannels = 2;

  /// Throws std::invalid_argument naming a bad config field.
  GenericStreamAdapter(IngestSink& sink, const GenericStreamConfig& config = {});
  GenericStreamAdapter(const GenericStreamAdapter&) = delete;
  GenericStreamAdapter& operator=(const GenericStreamAdapter&) = delete;

  /// The first text message is the metadata; later ones are counted and ignored. Never throws.
  AdapterStatus on_text(std::string_view message) noexcept;
  /// Audio. Never throws; no allocation once the buffers have grown to the largest message.
  AdapterStatus on_binary(std::span<const std::uint8_t> message) noexcept;
  /// The connection closed. The WebSocket close is this protocol's end: a clean
  /// close ends the stream with EndReason::stop, an abrupt one with connection_lost.
  /// A partial frame left over is counted (Malformed::partial_sample) and dropped.
  void on_disconnect(bool clean_close = false) noexcept;

  const AdapterCounters& counters() const noexcept { return counters_; }
  bool started() const noexcept { return started_; }
  bool ended() const noexcept { return ended_; }

 private:
  AdapterStatus refuse(std::uint16_t code, std::string_view why) noexcept;

  IngestSink* sink_;
  GenericStreamConfig config_;
  AdapterCounters counters_;
  AudioOutput output_;
  bool started_ = false;
  bool ended_ = false;
  Encoding encoding_ = Encoding::l16;
  int channels_ = 1;
  std::size_t frame_bytes_ = 2;
  std::int64_t next_frame_ = 0;
  std::array<std::uint8_t, 8> carry_{};  // bytes of an incomplete frame (< frame_bytes_)
  std::size_t carried_ = 0;
};

}  // namespace tw::telephony
