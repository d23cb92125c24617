#pragma once
// Sound servers the [device] tests start and stop themselves, so that `tonewatch
// live` captures through PortAudio from virtual devices that behave like real ones:
// - PulseAudio with null sinks: a sink's monitor source delivers what is played
//   into it (paplay) at real-time pace, reached through ALSA's `pulse` plugin just
//   as a desktop captures the far end of a call; killing the server takes the
//   devices away mid-call.
// - JACK's dummy driver: a device with a fixed rate and a fixed number of capture
//   ports, which refuses any other rate or channel count as real hardware does.
// Each server lives in its own folder (HOME, runtime dir, socket) and never touches
// a sound system the machine may already have.

#include <memory>
#include <string>
#include <vector>

#include "support/background_process.h"

namespace tw::test {

/// A null sink (and the capture devices made from it).
struct PulseSink {
  std::string name;             ///< e.g. "tw_tap": its monitor is ALSA device "tw_tap"
  int rate_hz = 8000;
  int channels = 2;
  /// One-channel capture devices taken from the sink's monitor, by channel:
  /// {"tw_caller", "front-left"} is ALSA device "tw_caller" carrying the left channel.
  std::vector<std::pair<std::string, std::string>> split;
};

class PulseServer {
 public:
  /// Starts `pulseaudio` with these sinks; FAILs with its log if it does not come up.
  explicit PulseServer(const std::vector<PulseSink>& sinks);
  /// Stops it (SIGTERM, then SIGKILL).
  ~PulseServer();
  PulseServer(const PulseServer&) = delete;
  PulseServer& operator=(const PulseServer&) = delete;

  /// Environment for programs that use it (tonewatch, paplay): HOME with an
  /// .asoundrc naming the devices, PULSE_SERVER, and no JACK server.
  const std::vector<std::string>& env() const noexcept { return env_; }
  /// Plays `wav` into `sink` at real-time pace (paplay); returns paplay's exit code.
  int play(const std::string& wav, const std::string& sink);
  /// Kills the server at once (SIGKILL): its devices vanish.
  void kill_now();
  /// Stops the server (SIGSTOP): its devices stay, deliver nothing and answer nothing,
  /// as a hung sound server's do. The destructor kills it.
  void freeze();

 private:
  std::string dir_;
  std::vector<std::string> env_;
  std::unique_ptr<BackgroundProcess> server_;
  bool frozen_ = false;
};

class JackServer {
 public:
  /// Starts `jackd` with the dummy driver at `rate_hz` with `capture_channels` capture
  /// ports; FAILs with its log if it does not come up.
  JackServer(int rate_hz, int capture_channels);
  ~JackServer();
  JackServer(const JackServer&) = delete;
  JackServer& operator=(const JackServer&) = delete;
  /// Environment for tonewatch: this server as JACK's default, no PulseAudio.
  const std::vector<std::string>& env() const noexcept { return env_; }

 private:
  std::string dir_;
  std::vector<std::string> env_;
  std::unique_ptr<BackgroundProcess> server_;
};

}  // namespace tw::test
