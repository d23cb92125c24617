#pragma once
// The callback interface between a protocol adapter and the server that owns
// the connection. An adapter never touches a socket: it calls these methods
// from inside on_text/on_binary/on_bytes, on the connection's thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsp/stream_gap.h"
#include "features/speaker_role.h"
#include "telephony/protocol.h"

namespace tw::telephony {

/// One audio track of a stream. A track has one or more channels; its samples
/// arrive interleaved, channel c belonging to channel_roles[c].
struct TrackInfo {
  std::string name;                                   ///< the platform's name ("inbound", "external+internal", "slin", ...)
  std::vector<features::SpeakerRole> channel_roles;   ///< one role per channel, in channel order
  int channels() const noexcept { return static_cast<int>(channel_roles.size()); }
};

/// Everything known when a stream starts. Built once per stream (it may allocate).
struct StreamStart {
  Protocol protocol = Protocol::twilio;
  std::string call_id;       ///< Twilio callSid, AudioSocket UUID, generic call_id, AudioHook conversationId
  std::string stream_id;     ///< Twilio streamSid, AudioSocket UUID, generic call_id, AudioHook session id
  int sample_rate_hz = 8000; ///< rate of every track of this stream
  std::vector<TrackInfo> tracks;
  nlohmann::json metadata = nlohmann::json::object();  ///< customParameters, agent id, participant, ...
};

/// A block of one track's audio. Valid only during the on_audio call: the
/// samples live in the adapter's buffer.
struct TrackAudio {
  int track = 0;                      ///< index into StreamStart::tracks
  std::int64_t first_sample = 0;      ///< position of samples[0] on the track's sample clock (per channel)
  int channels = 1;                   ///< interleaved channels in `samples`
  std::span<const float> samples;     ///< interleaved, in [-1, 1]; size() / channels frames
  /// Frames (samples per channel) in this block.
  std::int64_t frames() const noexcept { return channels > 0 ? static_cast<std::int64_t>(samples.size()) / channels : 0; }
};

/// A stretch of one track's time that has no audio: a declared pause or discard,
/// or audio lost on the way. Carried as its length, never as samples.
struct TrackGap {
  int track = 0;                      ///< index into StreamStart::tracks
  std::int64_t first_sample = 0;      ///< where the gap starts on the track's sample clock
  std::int64_t frames = 0;            ///< its length, samples per channel
  dsp::GapKind kind = dsp::GapKind::lost;
};

/// A DTMF digit reported by the platform.
struct DtmfEvent {
  int track = -1;                ///< track it was detected on, -1 if the protocol does not say
  char digit = 0;                ///< '0'-'9', '*', '#', 'A'-'D'
  std::int64_t at_sample = 0;    ///< stream position (per channel) when it was reported
};

/// Implemented by the server, one instance per connection (or per call).
/// Every method is called on the connection's thread, from inside an adapter
/// call; none may call back into the adapter, and none may throw (the adapters'
/// entry points are noexcept).
class IngestSink {
 public:
  virtual ~IngestSink() = default;
  /// The stream's metadata is known and audio follows. Called at most once per adapter.
  virtual void on_stream_start(const StreamStart& start) = 0;
  /// A block of audio (or of inserted silence). Real-time path: the server should copy and return.
  virtual void on_audio(const TrackAudio& audio) = 0;
  /// A stretch of a track's time without audio (of any length: seconds to hours).
  /// Real-time path: the server records the length and returns; it never turns the
  /// gap into samples.
  virtual void on_gap(const TrackGap& gap) = 0;
  /// A DTMF digit.
  virtual void on_dtmf(const DtmfEvent& dtmf) = 0;
  /// The stream ended; called once, and only after on_stream_start.
  virtual void on_stream_end(EndReason reason, std::string_view detail) = 0;
  /// A reply the protocol requires (AudioHook opened/pong/closed/disconnect), to be
  /// sent as one WebSocket text message before the next message is read.
  virtual void send_text(std::string_view message) = 0;
  /// A protocol event worth logging that carries no audio (Twilio mark, AudioHook
  /// paused/resumed/update/error). Default: ignored.
  virtual void on_notice(std::string_view /*event*/, std::string_view /*detail*/) {}
};

}  // namespace tw::telephony
