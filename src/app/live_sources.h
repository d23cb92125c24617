#pragma once
// Where `tonewatch live` takes a call's audio from: one sound device (a two-channel
// recording tap, or one channel), two devices (the agent's headset microphone and
// the caller from a loopback or monitor source), or a file played at real-time pace
// (--simulate). Each source fills a CaptureBuffer from its own thread; the analysis
// thread sees only the buffers.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "features/speaker_role.h"
#include "io/audio_file_source.h"
#include "io/device_capture.h"
#include "io/paced_player.h"
#include "pipeline/live_pump.h"

namespace tw::app {

/// Nanoseconds on the steady clock: the clock LiveSource::lost() and its start time are read on.
std::int64_t steady_ns();

/// One live input: a device capture or a paced file, with the roles of its channels.
class LiveSource {
 public:
  /// Opens `device` for `roles.size()` channels at `rate_hz` (not started).
  LiveSource(const io::PortAudioSystem& system, const io::InputDevice& device, std::vector<features::SpeakerRole> roles,
             int rate_hz, const io::CaptureOptions& options);
  /// Opens `path` to play at `speed` (not started); a one-channel file carries `mono_role`,
  /// a two-channel file `stereo_roles`.
  LiveSource(const std::string& path, const std::vector<features::SpeakerRole>& stereo_roles,
             features::SpeakerRole mono_role, double speed, double ring_s);

  void start();
  void stop() noexcept;
  /// The device stopped delivering by itself (see DeviceCapture::lost), or has
  /// delivered nothing for `timeout_s` since it started or last delivered.
  bool lost(std::int64_t now_ns, double timeout_s) noexcept;
  /// Whether a stopped device's sound system let go of it within `seconds` (a file: yes).
  bool released_within(double seconds) noexcept { return !capture_ || capture_->released_within(seconds); }
  /// Why the source ended badly, if it did: a lost device or a file that failed.
  std::string failure() const;

  io::CaptureBuffer& buffer() noexcept;
  const io::CaptureBuffer& buffer() const noexcept;
  const std::vector<features::SpeakerRole>& roles() const noexcept { return roles_; }
  /// "'tw_tap' (ALSA, device 1) 8000 Hz, 2 ch: caller, agent" or "call.wav (WAV ...) at 1x".
  std::string label() const;
  /// What this source did, for the summary's input.sources.
  nlohmann::json to_json(const pipeline::PumpInputCounters& pump) const;
  bool is_device() const noexcept { return capture_ != nullptr; }
  const io::InputDevice* device() const noexcept { return capture_ ? &capture_->device() : nullptr; }
  const io::AudioFormat* file_format() const noexcept { return file_ ? &file_->format() : nullptr; }
  const std::string& path() const noexcept { return path_; }
  double speed() const noexcept { return speed_; }

 private:
  std::vector<features::SpeakerRole> roles_;
  std::unique_ptr<io::DeviceCapture> capture_;
  std::unique_ptr<io::AudioFileSource> file_;
  std::unique_ptr<io::PacedPlayer> player_;
  std::string path_;
  double speed_ = 1.0;
  std::int64_t started_ns_ = 0;
  std::string failure_;
};

/// Parses a device's channel roles: "caller,agent" or "agent,caller" (two channels),
/// "caller" or "agent" (one). Throws std::invalid_argument with the accepted forms.
std::vector<features::SpeakerRole> parse_device_channels(const std::string& text);

/// "left caller, right agent" / "agent".
std::string describe_roles(const std::vector<features::SpeakerRole>& roles);

}  // namespace tw::app
