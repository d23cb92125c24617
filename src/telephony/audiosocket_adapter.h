#pragma once
// Asterisk AudioSocket: a raw TCP byte stream of type-length-value messages.
//
// Specification: Asterisk documentation, "AudioSocket" (Channel Drivers),
// https://docs.asterisk.org/Configuration/Channel-Drivers/AudioSocket/ —
// a 3-byte header (1 type byte, 16-bit big-endian payload length) and the
// payload. Types: 0x00 hangup, 0x01 UUID (16 bytes, binary), 0x03 DTMF (one
// ASCII digit), 0x10 signed linear 16-bit 8 kHz mono little-endian, 0xff error.
// The higher-rate signed-linear types come from Asterisk's own definition,
// include/asterisk/res_audiosocket.h (enum ast_audiosocket_msg_kind, Asterisk
// master, 2025-10): 0x11 slin12, 0x12 slin16, 0x13 slin24, 0x14 slin32,
// 0x15 slin44 (44.1 kHz), 0x16 slin48, 0x17 slin96, 0x18 slin192. (Asterisk 20
// and earlier briefly had 0x11 = slin16; the current numbering is used here.)
//
// One connection carries one party. The server knows which (by the port the leg
// arrived on) and passes the role in; two legs share the call's UUID.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "features/speaker_role.h"
#include "telephony/audio_output.h"
#include "telephony/ingest_sink.h"
#include "telephony/protocol.h"

namespace tw::telephony {

struct AudioSocketConfig {
  /// Longest payload accepted; the header's 16-bit length allows up to 65535.
  /// A longer announced payload closes the connection.
  std::size_t max_payload_bytes = 65535;
};

/// Sample rate of an AudioSocket audio message type, or 0 if the type is not audio.
int audiosocket_sample_rate_hz(std::uint8_t type) noexcept;

/// One AudioSocket connection (one leg). The stream starts at the first audio
/// message, when both the UUID and the rate are known. Not thread-safe.
class AudioSocketAdapter {
 public:
  static constexpr std::uint8_t kHangup = 0x00;
  static constexpr std::uint8_t kUuid = 0x01;
  static constexpr std::uint8_t kDtmf = 0x03;
  static constexpr std::uint8_t kAudioSlin = 0x10;
  static constexpr std::uint8_t kError = 0xFF;

  /// Throws std::invalid_argument naming a bad config field.
  AudioSocketAdapter(IngestSink& sink, features::SpeakerRole role, const AudioSocketConfig& config = {});
  AudioSocketAdapter(const AudioSocketAdapter&) = delete;
  AudioSocketAdapter& operator=(const AudioSocketAdapter&) = delete;

  /// Takes whatever bytes the socket read: messages may be split at any byte
  /// and several may arrive at once. Never throws; no allocation once the
  /// payload buffer has grown to the largest message.
  AdapterStatus on_bytes(std::span<const std::uint8_t> bytes) noexcept;
  /// The connection closed. Asterisk hangs up by closing the socket (app_audiosocket
  /// and chan_audiosocket never send the 0x00 hangup message on a hangup of their
  /// channel): a close by the peer (`peer_closed`) at a message boundary ends the
  /// stream as a hangup (EndReason::stop). A close in the middle of a message (counted
  /// as truncated), or one the peer did not make (an idle timeout, a reset), is a lost
  /// connection.
  void on_disconnect(bool peer_closed = false) noexcept;

  const AdapterCounters& counters() const noexcept { return counters_; }
  bool started() const noexcept { return state_ == State::streaming || state_ == State::ended_after_start; }
  bool ended() const noexcept { return state_ == State::ended || state_ == State::ended_after_start; }
  /// The call's UUID in canonical 8-4-4-4-12 lower-case form, empty until received.
  const std::string& uuid() const noexcept { return uuid_; }

 private:
  enum class State { awaiting_uuid, awaiting_audio, streaming, ended, ended_after_start };

  AdapterStatus on_message(std::uint8_t type, std::span<const std::uint8_t> payload) noexcept;
  AdapterStatus on_audio(int rate_hz, std::span<const std::uint8_t> payload) noexcept;
  AdapterStatus end(EndReason reason, std::string_view why) noexcept;

  IngestSink* sink_;
  features::SpeakerRole role_;
  AudioSocketConfig config_;
  AdapterCounters counters_;
  AudioOutput output_;
  State state_ = State::awaiting_uuid;
  std::string uuid_;
  int rate_hz_ = 0;
  std::int64_t next_sample_ = 0;
  // Framing: the header being read, then the payload (buffered) or skipped.
  std::array<std::uint8_t, 3> header_{};
  std::size_t header_filled_ = 0;
  std::size_t payload_length_ = 0;
  std::size_t payload_filled_ = 0;
  bool skipping_ = false;  // payload of an unknown type: counted and skipped, not buffered
  std::span<std::uint8_t> payload_;
  std::array<char, 48> end_detail_{};  // "asterisk reported error 0x.." for on_stream_end
};

}  // namespace tw::telephony
