#include "io/portaudio_devices.h"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <future>
#include <string_view>

#ifdef TW_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif
#ifdef TW_HAVE_JACK
#include <jack/jack.h>
#endif

#include "io/host_call.h"
#include "text/ascii.h"

namespace tw::io {
namespace {

#ifdef TW_HAVE_ALSA
// ALSA reports every absent card it probes for ("Unknown PCM cards.pcm.rear") on stderr.
void quiet_alsa(const char*, int, const char*, int, const char*, ...) {}
#endif
#ifdef TW_HAVE_JACK
// libjack prints "Cannot connect to server socket" when no JACK server runs, the usual case.
void quiet_jack(const char*) {}
#endif

void quiet_host_libraries() {
  if (std::getenv("TONEWATCH_AUDIO_DEBUG") != nullptr) return;
#ifdef TW_HAVE_ALSA
  snd_lib_error_set_handler(quiet_alsa);
#endif
#ifdef TW_HAVE_JACK
  jack_set_error_function(quiet_jack);
  jack_set_info_function(quiet_jack);
#endif
}

std::string host_error_text(PaError error) {
  std::string text = Pa_GetErrorText(error);
  if (error == paUnanticipatedHostError) {
    const PaHostErrorInfo* info = Pa_GetLastHostErrorInfo();
    if (info != nullptr && info->errorText != nullptr && info->errorText[0] != '\0') text += ": " + std::string(info->errorText);
  }
  return text;
}

std::string rate_text(double rate_hz) { return std::to_string(static_cast<long>(rate_hz + 0.5)) + " Hz"; }

std::string list_of(const std::vector<InputDevice>& devices) {
  std::string text;
  for (const InputDevice& d : devices) text += "\n  " + std::to_string(d.index) + "  " + d.name + " (" + d.host_api + ")";
  return text;
}

}  // namespace

const char* to_string(DeviceErrorKind kind) noexcept {
  switch (kind) {
    case DeviceErrorKind::no_sound_system: return "no sound system";
    case DeviceErrorKind::no_such_device: return "no such device";
    case DeviceErrorKind::ambiguous: return "ambiguous device";
    case DeviceErrorKind::too_few_channels: return "too few channels";
    case DeviceErrorKind::rate_refused: return "rate refused";
    case DeviceErrorKind::open_failed: return "open failed";
    case DeviceErrorKind::lost: return "device lost";
  }
  return "device error";
}

std::string describe(const InputDevice& device) {
  return "'" + device.name + "' (" + device.host_api + ", device " + std::to_string(device.index) + ")";
}

namespace {
std::atomic<int> host_calls_stuck{0};
}  // namespace

void note_host_stuck() noexcept { host_calls_stuck.fetch_add(1, std::memory_order_relaxed); }

PortAudioSystem::PortAudioSystem() {
  quiet_host_libraries();
  // Pa_Initialize opens every device to list it, and ALSA's pulse plugin waits for
  // its server without a timeout: a frozen sound server would hang the command, and
  // `live`, which blocks its signals to handle them itself, past Ctrl-C. So PortAudio
  // starts on a thread of its own, waited for kStartTimeout_s; on a timeout that
  // thread is left where it waits (PortAudio is never terminated under it).
  std::future<PaError> started = call_detached([] { return Pa_Initialize(); });
  if (started.wait_for(std::chrono::duration<double>(kStartTimeout_s)) != std::future_status::ready) {
    note_host_stuck();
    throw DeviceError(DeviceErrorKind::no_sound_system,
                      "the sound system did not answer in " + std::to_string(static_cast<int>(kStartTimeout_s)) +
                          " s while PortAudio listed its devices (is a sound server frozen? 'pactl info' asks PulseAudio)");
  }
  const PaError error = started.get();
  if (error != paNoError) {
    throw DeviceError(DeviceErrorKind::no_sound_system, "PortAudio could not start: " + host_error_text(error));
  }
}

PortAudioSystem::~PortAudioSystem() {
  if (host_calls_stuck.load(std::memory_order_relaxed) == 0) Pa_Terminate();
}

std::vector<InputDevice> PortAudioSystem::input_devices() const {
  std::vector<InputDevice> devices;
  const PaDeviceIndex count = Pa_GetDeviceCount();
  const PaDeviceIndex default_input = Pa_GetDefaultInputDevice();
  for (PaDeviceIndex i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (info == nullptr || info->maxInputChannels <= 0) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    InputDevice d;
    d.index = i;
    d.name = info->name != nullptr ? info->name : "";
    d.host_api = api != nullptr && api->name != nullptr ? api->name : "?";
    d.input_channels = info->maxInputChannels;
    d.default_rate_hz = info->defaultSampleRate;
    d.default_high_latency_s = info->defaultHighInputLatency;
    d.is_default = i == default_input;
    devices.push_back(std::move(d));
  }
  return devices;
}

std::vector<std::string> PortAudioSystem::host_apis() const {
  std::vector<std::string> names;
  const PaHostApiIndex count = Pa_GetHostApiCount();
  for (PaHostApiIndex i = 0; i < count; ++i) {
    const PaHostApiInfo* api = Pa_GetHostApiInfo(i);
    if (api != nullptr && api->name != nullptr) names.emplace_back(api->name);
  }
  return names;
}

InputDevice PortAudioSystem::find_input(const std::string& spec) const {
  const std::vector<InputDevice> devices = input_devices();
  if (devices.empty()) {
    std::string apis;
    for (const std::string& a : host_apis()) apis += (apis.empty() ? "" : ", ") + a;
    throw DeviceError(DeviceErrorKind::no_sound_system,
                      "no sound input devices: PortAudio (host APIs: " + (apis.empty() ? std::string("none") : apis) +
                          ") finds no device with an input. Is there a sound card, or a sound server "
                          "(PulseAudio, PipeWire, JACK) running for this user?");
  }
  const bool numeric = !spec.empty() && std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); });
  if (numeric) {
    const long index = std::strtol(spec.c_str(), nullptr, 10);
    for (const InputDevice& d : devices) {
      if (d.index == index) return d;
    }
    const PaDeviceInfo* info = index < Pa_GetDeviceCount() ? Pa_GetDeviceInfo(static_cast<PaDeviceIndex>(index)) : nullptr;
    throw DeviceError(DeviceErrorKind::no_such_device,
                      info != nullptr ? "device " + spec + " ('" + info->name + "') has no input channels; input devices:" + list_of(devices)
                                      : "no device " + spec + "; input devices:" + list_of(devices));
  }
  const std::string wanted = text::ascii_lowered(spec);
  std::vector<InputDevice> matches;
  for (const InputDevice& d : devices) {
    const std::string name = text::ascii_lowered(d.name);
    if (name == wanted) return d;
    if (!wanted.empty() && name.find(wanted) != std::string::npos) matches.push_back(d);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    throw DeviceError(DeviceErrorKind::no_such_device,
                      "no input device matches '" + spec + "'; input devices ('tonewatch devices' lists them):" + list_of(devices));
  }
  throw DeviceError(DeviceErrorKind::ambiguous,
                    "'" + spec + "' matches " + std::to_string(matches.size()) +
                        " input devices; give its index or more of its name:" + list_of(matches));
}

void PortAudioSystem::check_input(const InputDevice& device, int channels, int sample_rate_hz) const {
  if (channels > device.input_channels) {
    throw DeviceError(DeviceErrorKind::too_few_channels,
                      describe(device) + " has " + std::to_string(device.input_channels) + " input channel" +
                          (device.input_channels == 1 ? "" : "s") + ", " + std::to_string(channels) + " asked");
  }
  PaStreamParameters input{};
  input.device = device.index;
  input.channelCount = channels;
  input.sampleFormat = paFloat32;
  input.suggestedLatency = device.default_high_latency_s;
  const PaError error = Pa_IsFormatSupported(&input, nullptr, sample_rate_hz);
  if (error == paFormatIsSupported) return;
  if (error == paInvalidSampleRate) {
    throw DeviceError(DeviceErrorKind::rate_refused,
                      describe(device) + " does not take " + rate_text(sample_rate_hz) + " (its default rate is " +
                          rate_text(device.default_rate_hz) + ")");
  }
  if (error == paInvalidChannelCount) {
    throw DeviceError(DeviceErrorKind::too_few_channels,
                      describe(device) + " does not take " + std::to_string(channels) + " input channel" +
                          (channels == 1 ? "" : "s"));
  }
  throw DeviceError(DeviceErrorKind::open_failed, describe(device) + " cannot capture " + std::to_string(channels) +
                                                      " channel(s) at " + rate_text(sample_rate_hz) + ": " + host_error_text(error));
}

}  // namespace tw::io
