#include "io/device_capture.h"

#include <portaudio.h>

#include <chrono>
#include <span>

#include "io/host_call.h"

namespace tw::io {

DeviceCapture::DeviceCapture(const PortAudioSystem& system, const InputDevice& device, const CaptureOptions& options)
    : device_(device),
      shared_(std::make_unique<Shared>(options.sample_rate_hz, static_cast<std::size_t>(options.channels), options.ring_s)) {
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
                                      paNoFlag, callback, shared_.get());
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
  if (!released_within(gave_up_ ? 0.0 : kReleaseWait_s)) {
    // The host holds the stream (a frozen sound server): its threads keep what they
    // use, and PortAudio must not be terminated under them.
    static_cast<void>(shared_.release());
    note_host_stuck();
    return;
  }
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
  Shared& shared = *shared_;
  if (shared.stop_requested.exchange(true)) return;
  shared.buffer.end();  // the analysis thread drains what came and writes the call
  if (!started_ || stream_ == nullptr) return;
  // Abort, not stop: there is no output to drain, and an abort cancels the callback
  // thread in its poll() where a stop waits for it to look up, which PortAudio's ALSA
  // host API does only after up to 2,048 empty polls of a silent device
  // (PaAlsaStream_WaitForFrames in pa_linux_alsa.c).
  auto* stream = static_cast<PaStream*>(stream_);
  released_ = call_detached([stream] {
    if (Pa_IsStreamStopped(stream) == 0) Pa_AbortStream(stream);
  });
}

bool DeviceCapture::released_within(double seconds) noexcept {
  if (!released_.valid()) return true;
  if (released_.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::ready) return true;
  gave_up_ = true;
  return false;
}

bool DeviceCapture::lost() noexcept {
  Shared& shared = *shared_;
  if (!started_ || shared.stop_requested.load(std::memory_order_acquire)) return false;
  // Either the finished callback ran (the host ended the stream) or the stream is
  // no longer active without our asking: a device unplugged, a sound server gone.
  const bool gone = shared.finished.load(std::memory_order_acquire) || Pa_IsStreamActive(static_cast<PaStream*>(stream_)) != 1;
  if (gone) shared.buffer.end();
  return gone;
}

int DeviceCapture::on_audio(const void* input, void*, unsigned long frames, const void*, unsigned long status,
                            void* user) noexcept {
  // Real-time: copy whole frames into the preallocated ring, count, return. No
  // allocation, no lock, no I/O, no logging.
  auto* shared = static_cast<Shared*>(user);
  shared->buffer.count_status((status & paInputOverflow) != 0, (status & paInputUnderflow) != 0);
  if (input != nullptr) {
    const std::size_t samples = static_cast<std::size_t>(frames) * shared->buffer.channels();
    shared->buffer.write(std::span<const float>(static_cast<const float*>(input), samples));
  }
  return shared->stop_requested.load(std::memory_order_relaxed) ? paComplete : paContinue;
}

void DeviceCapture::on_finished(void* user) noexcept {
  auto* shared = static_cast<Shared*>(user);
  shared->finished.store(true, std::memory_order_release);
  shared->buffer.end();
}

}  // namespace tw::io
