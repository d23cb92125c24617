#pragma once
// One streamer per protocol: what the player sends before, during and after the
// audio, on which legs. Each is written from the platform's public message
// description (cited in streamers.cpp), not from the server's adapters.

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "legs.h"

namespace tw::player {

/// Stereo (or mono) 16-bit audio to play: channel 0 the caller, 1 the agent.
struct PlayerAudio {
  int rate_hz = 8000;
  int channels = 2;
  std::vector<std::int16_t> samples;  ///< interleaved
  std::size_t frames() const { return samples.size() / static_cast<std::size_t>(channels); }
  std::int16_t at(std::size_t frame, int channel) const {
    return samples[frame * static_cast<std::size_t>(channels) + static_cast<std::size_t>(channel < channels ? channel : 0)];
  }
};

struct PlayerOptions {
  std::string protocol;       ///< twilio, twilio-split, audiosocket, generic, audiohook
  std::string host = "127.0.0.1";
  std::string port;
  std::string agent_port;     ///< audiosocket: the agent leg's port; twilio-split: the outbound track's (empty: port)
  std::string path;
  std::string call_id;
  std::string encoding;       ///< generic: L16 or PCMU; audiohook: PCMU or L16
  std::string api_key;        ///< audiohook
  std::string client_secret;  ///< audiohook, base64
  std::string organization_id;
  std::uint64_t seed = 0;
  /// Call metadata (an agent id): generic: keys of the metadata frame; Twilio:
  /// customParameters, as TwiML <Parameter name=".." value=".."/> sends them.
  std::vector<std::pair<std::string, std::string>> params;
};

class Streamer {
 public:
  virtual ~Streamer() = default;
  /// The connections this protocol uses (created, not started).
  std::vector<std::shared_ptr<Leg>> legs;
  /// Everything before the audio; calls `ready` when audio may flow.
  virtual void begin(std::function<void()> ready) = 0;
  /// Chunk `index` (frames [first, first + count)) of the audio.
  virtual void chunk(std::size_t index, std::size_t first, std::size_t count) = 0;
  /// Everything after the audio; calls `done` when the legs may be finished.
  virtual void end(std::function<void()> done) = 0;
  /// A protocol-level failure the streamer saw (e.g. AudioHook disconnect), empty if none.
  std::string protocol_error;
};

/// Builds the streamer for options.protocol; throws std::invalid_argument for an
/// unknown protocol or audio the protocol cannot carry (naming the fix).
std::unique_ptr<Streamer> make_streamer(boost::asio::io_context& io, const PlayerOptions& options, const PlayerAudio& audio);

}  // namespace tw::player
