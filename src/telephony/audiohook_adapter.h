#pragma once
// Genesys Cloud AudioHook Monitor (protocol version 2): JSON text messages for
// the session, binary messages for audio.
//
// Specification: Genesys Cloud Developer Center, "AudioHook Protocol
// Specification" (https://developer.genesys.cloud/devapps/audiohook/), its
// sections "Session walkthrough", "Protocol reference" and "Security"; the
// message shapes were checked against Genesys' published reference server,
// purecloudlabs/audiohook-reference-implementation (app/audiohook/src/protocol).
//
// Client (Genesys) -> server: open, ping, paused, resumed, discarded, update,
// error, close. Server -> client: opened, pong, closed, disconnect (and pause,
// resume, event, which tonewatch does not send). Every message carries
// version "2", id (the session), type, seq (1, 2, ... per sender) and parameters;
// client messages also carry serverseq (the last server seq seen) and position
// (ISO 8601 duration of audio so far); server messages carry clientseq.
// Media formats offered in open: {"type":"audio","format":"PCMU"|"L16",
// "channels":["external","internal"] (or one of them),"rate":8000}. The server
// picks exactly one and returns it in opened. Channel "external" (the customer)
// is the caller, "internal" (the agent) the agent; two channels are interleaved
// in each binary message. The connection probe is an open whose conversationId
// is the nil UUID: it gets opened, then close/closed, and no call is created.
// L16 is taken as little-endian 16-bit, as the reference implementation reads it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "telephony/audio_encoding.h"
#include "telephony/audio_output.h"
#include "telephony/ingest_sink.h"
#include "telephony/json_parse.h"
#include "telephony/protocol.h"
#include "telephony/track_aligner.h"

namespace tw::telephony {

struct AudioHookConfig {
  std::size_t max_message_bytes = 64 * 1024;  ///< larger binary (audio) messages close the connection (1009)
  std::size_t max_json_bytes = 64 * 1024;     ///< larger text messages close the connection (1009)
  int max_json_depth = kMaxJsonDepth;         ///< a text message nested deeper closes the connection (1008), unparsed
  bool prefer_l16 = false;                    ///< between equal offers, take L16 over PCMU
  double max_gap_s = 60.0;                    ///< an undeclared position jump further ahead than this refuses the session
                                              ///< (declared pauses and discarded stretches have no limit)
};

/// One AudioHook session (one WebSocket connection). Not thread-safe.
class AudioHookAdapter {
 public:
  static constexpr int kSampleRateHz = 8000;  ///< the only rate AudioHook defines

  /// Throws std::invalid_argument naming a bad config field.
  AudioHookAdapter(IngestSink& sink, const AudioHookConfig& config = {});
  ~AudioHookAdapter();
  AudioHookAdapter(const AudioHookAdapter&) = delete;
  AudioHookAdapter& operator=(const AudioHookAdapter&) = delete;

  /// A text message; replies go out through IngestSink::send_text. Never throws.
  AdapterStatus on_text(std::string_view message) noexcept;
  /// An audio message. Never throws; no allocation after the buffers have grown.
  AdapterStatus on_binary(std::span<const std::uint8_t> message) noexcept;
  /// The connection closed; ends the stream (connection_lost) if no close came.
  void on_disconnect(bool clean_close = false) noexcept;
  /// The server's own word: asks the client to stop sending audio (`pause`, true) or
  /// to send it again (`resume`, false). The client answers with `paused`, and with
  /// `resumed` {start, discarded} (or `paused` while a pause of its own lasts), which
  /// on_text takes as for any pause: the stretch is a declared gap, not lost audio.
  /// Only in a call's open session (not a probe); false otherwise. Never throws.
  bool request_pause(bool pause) noexcept;

  const AdapterCounters& counters() const noexcept { return counters_; }
  bool started() const noexcept { return started_; }
  bool ended() const noexcept { return state_ == State::closed; }
  /// True once an open for the nil conversation (the connection probe) was answered.
  bool is_probe() const noexcept { return probe_; }
  /// The media format chosen in opened.
  Encoding encoding() const noexcept { return encoding_; }
  /// Channels of the chosen format.
  int channels() const noexcept { return channels_; }

 private:
  enum class State { awaiting_open, active, paused, closed };

  AdapterStatus on_message(const nlohmann::json& message, std::string_view type) noexcept;
  AdapterStatus on_open(const nlohmann::json& parameters);
  AdapterStatus align_to(std::int64_t position_samples) noexcept;
  // align_to, except that while paused the stretch up to `position` is paused time.
  AdapterStatus advance_to(std::int64_t position_samples) noexcept;
  // Moves the stream to a position after a stretch the client declared (no maximum).
  void declared_gap_to(std::int64_t position_samples, dsp::GapKind kind) noexcept;
  void reply(std::string_view type, const nlohmann::json& parameters);
  AdapterStatus fail(std::uint16_t code, std::string_view why) noexcept;  // disconnect(error) + close
  void finish(EndReason reason, std::string_view why) noexcept;

  IngestSink* sink_;
  AudioHookConfig config_;
  AdapterCounters counters_;
  AudioOutput output_;
  TrackAligner aligner_;
  State state_ = State::awaiting_open;
  bool started_ = false;
  bool probe_ = false;
  bool peer_error_ = false;
  std::string session_id_;
  std::int64_t client_seq_ = 0;  // last seq received
  std::int64_t server_seq_ = 0;  // last seq sent
  Encoding encoding_ = Encoding::pcmu;
  int channels_ = 0;
  std::size_t frame_bytes_ = 0;
};

}  // namespace tw::telephony
