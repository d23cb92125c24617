#pragma once
// Sound input devices through PortAudio: starting the library, listing the input
// devices, and finding one by index or by name.

#include <stdexcept>
#include <string>
#include <vector>

namespace tw::io {

enum class DeviceErrorKind {
  no_sound_system,   ///< PortAudio could not start, or sees no input device at all
  no_such_device,    ///< nothing matches what was asked for
  ambiguous,         ///< a name matches several input devices
  too_few_channels,  ///< the device has fewer input channels than asked
  rate_refused,      ///< the device does not take the sample rate asked for
  open_failed,       ///< the host refused to open or start the stream
  lost,              ///< the device stopped delivering mid-call
};

/// Short name of a kind, as printed ("no such device", ...).
const char* to_string(DeviceErrorKind kind) noexcept;

/// A sound-device problem with a message a user can act on (it names the device).
class DeviceError : public std::runtime_error {
 public:
  DeviceError(DeviceErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  DeviceErrorKind kind() const noexcept { return kind_; }

 private:
  DeviceErrorKind kind_;
};

/// One input device as PortAudio sees it.
struct InputDevice {
  int index = -1;                ///< PortAudio's device index (stable while PortAudio runs)
  std::string name;
  std::string host_api;          ///< "ALSA", "JACK Audio Connection Kit", ...
  int input_channels = 0;        ///< the most input channels the device offers
  double default_rate_hz = 0.0;
  double default_high_latency_s = 0.0;  ///< PortAudio's suggestion for robust (non-interactive) capture
  bool is_default = false;       ///< the host's default input device
};

/// "'pulse' (ALSA, device 3)": how messages name a device.
std::string describe(const InputDevice& device);

/// Counts a host call that never returned: a capture stream its host never let go
/// of (~DeviceCapture), or a start that did not finish (PortAudioSystem). PortAudio
/// is then left initialised at exit, since Pa_Terminate would wait on that host
/// forever. Thread-safe.
void note_host_stuck() noexcept;

/// PortAudio, initialised for the life of this object (PortAudio counts nested
/// initialisations). Host libraries' own chatter on stderr (ALSA's probing of
/// absent cards, JACK's "cannot connect") is silenced unless TONEWATCH_AUDIO_DEBUG
/// is set in the environment. Not thread-safe: one thread sets up devices.
class PortAudioSystem {
 public:
  /// How long PortAudio may take to start (it opens every device to list it).
  static constexpr double kStartTimeout_s = 10.0;

  /// Throws DeviceError(no_sound_system) if PortAudio cannot start, or does not
  /// within kStartTimeout_s (a frozen sound server).
  PortAudioSystem();
  /// Terminates PortAudio, unless a host call never returned (note_host_stuck).
  ~PortAudioSystem();
  PortAudioSystem(const PortAudioSystem&) = delete;
  PortAudioSystem& operator=(const PortAudioSystem&) = delete;

  /// Every device with at least one input channel, in PortAudio's order.
  std::vector<InputDevice> input_devices() const;
  /// Names of the host APIs PortAudio was built with and could start.
  std::vector<std::string> host_apis() const;

  /// The input device `spec` names: a device index ("3"), or a case-insensitive
  /// substring of its name ("usb", "monitor"); a name equal to the whole device name
  /// wins over names that merely contain it. Throws DeviceError: no_sound_system when
  /// there are no input devices at all, no_such_device (listing the inputs),
  /// ambiguous (listing the matches).
  InputDevice find_input(const std::string& spec) const;

  /// Checks that `device` takes `channels` input channels at `sample_rate_hz`
  /// (32-bit float). Throws DeviceError: too_few_channels, rate_refused (naming the
  /// device's default rate), open_failed for anything else the host says.
  void check_input(const InputDevice& device, int channels, int sample_rate_hz) const;
};

}  // namespace tw::io
