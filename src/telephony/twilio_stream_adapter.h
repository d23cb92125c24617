#pragma once
// Twilio Media Streams: one WebSocket connection of JSON text messages.
//
// Specification: Twilio, "Media Streams - WebSocket Messages",
// https://www.twilio.com/docs/voice/media-streams/websocket-messages
// and "TwiML Voice: <Stream>", https://www.twilio.com/docs/voice/twiml/stream
// Messages from Twilio: connected, start, media, dtmf, mark, stop. Audio is
// base64 G.711 µ-law at 8 kHz mono ("audio/x-mulaw"); media.timestamp is the
// presentation time in milliseconds from the start of the stream, and drives
// the alignment here.
//
// ---------------------------------------------------------------------------
// README: Twilio track roles
//   By default the "inbound" track (what the caller's side sends to Twilio) is
//   the caller and "outbound" (what Twilio plays to the caller, i.e. the agent)
//   is the agent. A stream may carry both (<Stream track="both_tracks">) or one
//   track; two one-track streams of the same call are joined by callSid.
//   To swap roles for a call (e.g. an outbound dialler where the callee is the
//   customer on the outbound leg), pass a custom parameter:
//       <Stream url="wss://host/twilio">
//         <Parameter name="callerTrack" value="outbound"/>
//       </Stream>
//   callerTrack = "inbound" (default) or "outbound"; the other track is the
//   agent. Any other value refuses the stream (close 1007) so a typo is loud.
//   Every custom parameter is passed on in StreamStart::metadata["customParameters"].
// ---------------------------------------------------------------------------

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "telephony/audio_output.h"
#include "telephony/ingest_sink.h"
#include "telephony/json_parse.h"
#include "telephony/protocol.h"
#include "telephony/track_aligner.h"

namespace tw::telephony {

struct TwilioConfig {
  std::size_t max_message_bytes = 64 * 1024;  ///< larger text messages close the connection (1009)
  double max_gap_s = 60.0;                    ///< a timestamp further ahead than this refuses the stream (1007)
  int max_json_depth = kMaxJsonDepth;         ///< a message nested deeper closes the connection (1008), unparsed
};

/// One Twilio Media Streams connection. Not thread-safe: one connection, one thread.
class TwilioStreamAdapter {
 public:
  static constexpr int kSampleRateHz = 8000;  ///< audio/x-mulaw is always 8 kHz mono

  /// Throws std::invalid_argument naming a bad config field.
  TwilioStreamAdapter(IngestSink& sink, const TwilioConfig& config = {});
  TwilioStreamAdapter(const TwilioStreamAdapter&) = delete;
  TwilioStreamAdapter& operator=(const TwilioStreamAdapter&) = delete;

  /// Takes one WebSocket text message. Never throws; a media message allocates
  /// nothing once the buffers have grown to the stream's chunk size.
  AdapterStatus on_text(std::string_view message) noexcept;
  /// Twilio sends no binary messages: closes with 1003.
  AdapterStatus on_binary(std::span<const std::uint8_t> message) noexcept;
  /// The connection closed; ends the stream (connection_lost) if it was still running.
  void on_disconnect() noexcept;

  const AdapterCounters& counters() const noexcept { return counters_; }
  bool started() const noexcept { return state_ != State::awaiting_start; }
  bool ended() const noexcept { return state_ == State::ended; }

 private:
  enum class State { awaiting_start, streaming, ended };
  static constexpr int kNoTrack = -1;

  AdapterStatus on_media(std::string_view track, std::string_view timestamp, std::string_view payload) noexcept;
  AdapterStatus on_other(std::string_view message) noexcept;  // parsed with nlohmann::json
  AdapterStatus end(EndReason reason, std::uint16_t code, std::string_view why) noexcept;
  AdapterStatus refuse(std::uint16_t code, std::string_view why) noexcept;
  int track_index(std::string_view twilio_track) const noexcept;

  IngestSink* sink_;
  TwilioConfig config_;
  AdapterCounters counters_;
  AudioOutput output_;
  State state_ = State::awaiting_start;
  // Index 0: inbound, 1: outbound (Twilio's names); value: index in StreamStart::tracks or kNoTrack.
  std::array<int, 2> track_of_{kNoTrack, kNoTrack};
  std::array<TrackAligner, 2> aligners_;
};

}  // namespace tw::telephony
