#pragma once
// Live calls for a running server. StreamPlayer runs tools/stream_player (the
// product's own tool, a process per call) on a WAV file, as an operator would.
// play_generic_streams plays many calls from one thread of the test over the
// generic WebSocket protocol (/stream: a JSON metadata text frame, then
// little-endian int16 interleaved audio; src/telephony/generic_stream_adapter.h):
// for hundreds of calls at once, where a process per call would swamp a 2-core
// CI machine.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.h"

namespace tw::test {

struct StreamedCall {
  std::string call_id;
  nlohmann::json metadata = nlohmann::json::object();  ///< extra keys (agent_id, ...)
  int sample_rate_hz = 8000;
  int channels = 2;                                     ///< caller left, agent right
  std::shared_ptr<const std::vector<std::int16_t>> audio;  ///< interleaved
  double start_after_s = 0.0;                           ///< wait this long before connecting
};

struct StreamOutcome {
  std::size_t calls_finished = 0;
  std::vector<std::string> errors;  ///< one line per call that could not be played
};

/// Plays every call at `speed` x real time in chunks of `chunk_s`, round robin
/// from the calling thread, and closes each stream cleanly at its end. Stops
/// early (closing every stream) when `stop` becomes true.
StreamOutcome play_generic_streams(std::uint16_t port, const std::vector<StreamedCall>& calls, double speed,
                                   double chunk_s = 0.02, const std::atomic<bool>* stop = nullptr);

/// tools/stream_player playing one WAV file to the server's /stream as a generic
/// stream, started at construction, in its own process.
class StreamPlayer {
 public:
  /// `params`: metadata keys (agent_id=...). `speed`: 1 = real time.
  StreamPlayer(std::uint16_t port, const std::string& wav, const std::string& call_id,
               const std::vector<std::string>& params, double speed = 1.0);
  /// Waits for it to finish (at most `timeout_s`); its exit code (0: the whole
  /// file streamed and the server closed normally), -1 if it had to be killed.
  int wait(double timeout_s);
  /// What it printed on stderr (its legs' outcome).
  std::string log() const { return process_.err(); }

 private:
  ChildProcess process_;
};

/// Writes interleaved 16-bit audio to a WAV file (for the stream player), exactly.
void write_call_wav(const std::string& path, const std::vector<std::int16_t>& interleaved, int channels, int rate_hz);

/// The example call (examples/example_call.wav) as 8 kHz stereo int16.
std::shared_ptr<const std::vector<std::int16_t>> example_call_audio();

/// The first `seconds` of `audio` (interleaved, `channels`) repeated to `total_s`.
std::shared_ptr<const std::vector<std::int16_t>> looped(const std::vector<std::int16_t>& audio, int channels, int rate_hz,
                                                        double seconds, double total_s);

}  // namespace tw::test
