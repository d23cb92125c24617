#pragma once
// What every telephony adapter shares: which protocol, what an adapter answers
// after each message, why a stream ended, and the counters it keeps.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tw::telephony {

/// The platform protocols tonewatch ingests.
enum class Protocol { twilio, audiosocket, generic_ws, audiohook, siprec };

/// Lower-case name, as used in logs and metrics ("twilio", "audiosocket", "generic_ws", "audiohook", "siprec").
constexpr std::string_view to_string(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::twilio: return "twilio";
    case Protocol::audiosocket: return "audiosocket";
    case Protocol::generic_ws: return "generic_ws";
    case Protocol::audiohook: return "audiohook";
    case Protocol::siprec: return "siprec";
  }
  return "unknown";
}

/// WebSocket close status codes of RFC 6455 §7.4.1 that adapters ask for.
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;           ///< the stream ended as the protocol intends
inline constexpr std::uint16_t kProtocolError = 1002;    ///< the peer broke the protocol's message order
inline constexpr std::uint16_t kUnsupportedData = 1003;  ///< a data type or codec we cannot accept
inline constexpr std::uint16_t kInvalidPayload = 1007;   ///< a message whose content is inconsistent with its type
inline constexpr std::uint16_t kPolicyViolation = 1008;  ///< anything else the endpoint refuses
inline constexpr std::uint16_t kMessageTooBig = 1009;    ///< a message over the configured maximum size
inline constexpr std::uint16_t kInternalError = 1011;    ///< the endpoint cannot go on (out of memory)
}  // namespace close_code

/// What the connection should do after an adapter has taken a message.
/// `reason` always points at a string literal (no allocation); for a TCP
/// protocol (AudioSocket) the close code is informational only.
struct AdapterStatus {
  bool close = false;              ///< true: close the connection now
  std::uint16_t close_code = 0;    ///< RFC 6455 close code when close is true
  std::string_view reason;         ///< why, for the close frame and the log

  /// Keep the connection open.
  static constexpr AdapterStatus ok() noexcept { return {}; }
  /// Close with a code and a reason (a string literal).
  static constexpr AdapterStatus closing(std::uint16_t code, std::string_view why) noexcept { return {true, code, why}; }
};

/// Why a stream ended (IngestSink::on_stream_end).
enum class EndReason {
  stop,             ///< the platform ended the stream by its protocol (Twilio stop, AudioSocket hangup, AudioHook close)
  protocol_error,   ///< the adapter refused the stream's input and asked to close
  peer_error,       ///< the platform reported an error (AudioSocket 0xff, AudioHook error then close)
  connection_lost,  ///< the connection dropped without the protocol's end message
};

constexpr std::string_view to_string(EndReason reason) noexcept {
  switch (reason) {
    case EndReason::stop: return "stop";
    case EndReason::protocol_error: return "protocol_error";
    case EndReason::peer_error: return "peer_error";
    case EndReason::connection_lost: return "connection_lost";
  }
  return "unknown";
}

/// Why a message was dropped or counted as malformed; indexes AdapterCounters::malformed_by_reason.
enum class Malformed : std::uint8_t {
  invalid_json,        ///< text that is not JSON, or JSON that is not an object
  missing_field,       ///< a required field is absent or of the wrong type
  bad_base64,          ///< a payload that is not valid base64
  bad_timestamp,       ///< a timestamp/position that is not a non-negative number
  unknown_track,       ///< audio for a track the stream did not announce
  unknown_message,     ///< a message type the protocol does not define (skipped)
  out_of_order,        ///< a message the protocol does not allow in the current state
  partial_sample,      ///< audio bytes that do not make whole samples/frames
  truncated,           ///< the connection ended inside a message
  bad_value,           ///< a field with a value the protocol does not allow
  oversize,            ///< a message larger than the configured maximum
  too_deep,            ///< JSON nested deeper than the configured maximum (refused before parsing)
  kCount
};

constexpr std::string_view to_string(Malformed reason) noexcept {
  switch (reason) {
    case Malformed::invalid_json: return "invalid_json";
    case Malformed::missing_field: return "missing_field";
    case Malformed::bad_base64: return "bad_base64";
    case Malformed::bad_timestamp: return "bad_timestamp";
    case Malformed::unknown_track: return "unknown_track";
    case Malformed::unknown_message: return "unknown_message";
    case Malformed::out_of_order: return "out_of_order";
    case Malformed::partial_sample: return "partial_sample";
    case Malformed::truncated: return "truncated";
    case Malformed::bad_value: return "bad_value";
    case Malformed::oversize: return "oversize";
    case Malformed::too_deep: return "too_deep";
    case Malformed::kCount: break;
  }
  return "unknown";
}

/// Per-connection counters every adapter keeps; read them from the connection's
/// own thread (they are plain integers).
struct AdapterCounters {
  std::uint64_t messages = 0;             ///< text/binary messages (AudioSocket: framed messages) taken
  std::uint64_t bytes = 0;                ///< bytes taken
  std::uint64_t audio_samples = 0;        ///< samples per channel delivered from the peer's audio
  std::uint64_t gap_fill_samples = 0;     ///< samples per channel of lost audio (timestamp/position gaps), passed on as gaps
  std::uint64_t gaps = 0;                 ///< gaps passed on (lost, paused or discarded)
  std::uint64_t paused_samples = 0;       ///< samples per channel the platform declared paused or discarded
  std::uint64_t late_chunks_dropped = 0;  ///< chunks dropped whole as late or duplicate
  std::uint64_t overlap_samples_dropped = 0;  ///< samples trimmed from chunks that overlapped audio already delivered
  std::uint64_t dtmf = 0;                 ///< DTMF digits reported
  std::uint64_t malformed = 0;            ///< messages counted in malformed_by_reason
  std::array<std::uint64_t, static_cast<std::size_t>(Malformed::kCount)> malformed_by_reason{};

  /// Count one malformed message.
  void count(Malformed reason) noexcept {
    ++malformed;
    ++malformed_by_reason[static_cast<std::size_t>(reason)];
  }
  /// How many messages were counted for one reason.
  std::uint64_t count_of(Malformed reason) const noexcept { return malformed_by_reason[static_cast<std::size_t>(reason)]; }
};

}  // namespace tw::telephony
