#pragma once
// Capture from one sound input device: a PortAudio callback stream whose callback
// only copies whole frames into a preallocated CaptureBuffer and counts the host's
// overflow and underflow flags (the shape of PortAudio's paex_record_file.c). The
// analysis thread reads the buffer; nothing else happens in the callback.

#include <atomic>
#include <string>

#include "io/capture_buffer.h"
#include "io/portaudio_devices.h"

namespace tw::io {

struct CaptureOptions {
  int channels = 1;
  int sample_rate_hz = 8000;
  /// Audio the ring holds while the analysis thread is busy (seconds).
  double ring_s = 4.0;
  /// Host buffering; 0 takes the device's default high input latency (robust capture:
  /// analysis needs no low latency, and large host buffers overflow less).
  double latency_s = 0.0;
};

class DeviceCapture {
 public:
  /// Checks the device takes the channels and rate, allocates the ring and opens the
  /// stream (not started). `system` must outlive the capture. Throws DeviceError
  /// (too_few_channels, rate_refused, open_failed) naming the device.
  DeviceCapture(const PortAudioSystem& system, const InputDevice& device, const CaptureOptions& options);
  /// Stops and closes the stream.
  ~DeviceCapture();
  DeviceCapture(const DeviceCapture&) = delete;
  DeviceCapture& operator=(const DeviceCapture&) = delete;

  /// Starts the callbacks. Throws DeviceError(open_failed) if the host refuses.
  void start();
  /// Stops the stream and ends the buffer. Idempotent; never throws.
  void stop() noexcept;
  /// The stream stopped by itself (the device went away, its sound server died):
  /// polls the stream, and ends the buffer when it finds it so. Analysis thread.
  bool lost() noexcept;

  CaptureBuffer& buffer() noexcept { return buffer_; }
  const CaptureBuffer& buffer() const noexcept { return buffer_; }
  const InputDevice& device() const noexcept { return device_; }
  /// The latency the host actually gave the stream (seconds).
  double latency_s() const noexcept { return latency_s_; }

 private:
  static int on_audio(const void* input, void* output, unsigned long frames, const void* time_info,
                      unsigned long status, void* user) noexcept;
  static void on_finished(void* user) noexcept;

  InputDevice device_;
  CaptureBuffer buffer_;
  void* stream_ = nullptr;  // PaStream*
  double latency_s_ = 0.0;
  bool started_ = false;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace tw::io
