#include "io/device_capture.h"

#include <portaudio.h>

#include <span>

namespace tw::io {

DeviceCapture::DeviceCapture(const PortAudioSystem& system, const InputDevice& device, const CaptureOptions& options)
    : device_(device), buffer_(options.sample_rate_hz, static_cast<std::size_t>(options.channels), options.ring_s) {
  system.check_input(device, options.channels, options.sample_rate_hz);
  PaStreamParameters input{};
  input.device = device.index;
  input.channelCount = options.channels;
  input.sampleFormat = paFloat32;  // interleaved; PortAudio converts whatever the host delivers
  input.suggestedLatency = options.latency_s > 0.0 ? options.latency_s : device.default_high_latency_s;
  PaStream* stream = nullptr;
  // PortAudio's callback signature, with our noexcept function behind it.
  auto callback = [](const void* in, void* out, unsigned long frames, const PaStreamCallbackTimeInfo* time,
                     PaStreamCallbackFlags status, void* user) -> int {
    return on_audio(in, out, frames, time, status, user);
  };
  const PaError error = Pa_OpenStream(&stream, &input, nullptr, options.sample_rate_hz, paFramesPerBufferUnspecified,
                                      paNoFlag, callback, this);
  if (error != paNoError) {
    throw DeviceError(error == paInvalidSampleRate ? DeviceErrorKind::rate_refused : DeviceErrorKind::open_failed,
                      describe(device) + ": cannot open for capture: " + Pa_GetErrorText(error));
  }
  stream_ = stream;
  Pa_SetStreamFinishedCallback(stream, [](void* user) { on_finished(user); });
  if (const PaStreamInfo* info = Pa_GetStreamInfo(stream)) latency_s_ = info->inputLatency;
}

DeviceCapture::~DeviceCapture() {
  stop();
  if (stream_ != nullptr) Pa_CloseStream(static_cast<PaStream*>(stream_));
}

void DeviceCapture::start() {
  const PaError error = Pa_StartStream(static_cast<PaStream*>(stream_));
  if (error != paNoError) {
    throw DeviceError(DeviceErrorKind::open_failed, describe(device_) + ": cannot start capture: " + Pa_GetErrorText(error));
  }
  started_ = true;
}

void DeviceCapture::stop() noexcept {
  if (stop_requested_.exchange(true)) return;
  if (started_ && stream_ != nullptr && Pa_IsStreamStopped(static_cast<PaStream*>(stream_)) == 0) {
    Pa_StopStream(static_cast<PaStream*>(stream_));
  }
  buffer_.end();
}

bool DeviceCapture::lost() noexcept {
  if (!started_ || stop_requested_.load(std::memory_order_acquire)) return false;
  // Either the finished callback ran (the host ended the stream) or the stream is
  // no longer active without our asking: a device unplugged, a sound server gone.
  const bool gone = finished_.load(std::memory_order_acquire) || Pa_IsStreamActive(static_cast<PaStream*>(stream_)) != 1;
  if (gone) buffer_.end();
  return gone;
}

int DeviceCapture::on_audio(const void* input, void*, unsigned long frames, const void*, unsigned long status,
                            void* user) noexcept {
  // Real-time: copy whole frames into the preallocated ring, count, return. No
  // allocation, no lock, no I/O, no logging.
  auto* self = static_cast<DeviceCapture*>(user);
  self->buffer_.count_status((status & paInputOverflow) != 0, (status & paInputUnderflow) != 0);
  if (input != nullptr) {
    const std::size_t samples = static_cast<std::size_t>(frames) * self->buffer_.channels();
    self->buffer_.write(std::span<const float>(static_cast<const float*>(input), samples));
  }
  return self->stop_requested_.load(std::memory_order_relaxed) ? paComplete : paContinue;
}

void DeviceCapture::on_finished(void* user) noexcept {
  auto* self = static_cast<DeviceCapture*>(user);
  self->finished_.store(true, std::memory_order_release);
  self->buffer_.end();
}

}  // namespace tw::io
