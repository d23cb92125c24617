#pragma once
// Capture from one sound input device: a PortAudio callback stream whose callback
// only copies whole frames into a preallocated CaptureBuffer and counts the host's
// overflow and underflow flags (the shape of PortAudio's paex_record_file.c). The
// analysis thread reads the buffer; nothing else happens in the callback.

#include <atomic>
#include <future>
#include <memory>
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
  /// How long the destructor waits for a stopping stream to be released.
  static constexpr double kReleaseWait_s = 2.0;

  /// Stops and closes the stream, waiting at most kReleaseWait_s for the host to let
  /// go of it. A stream the host still holds then is left open (and PortAudio is not
  /// terminated; see PortAudioSystem): closing it would wait on the host forever.
  ~DeviceCapture();
  DeviceCapture(const DeviceCapture&) = delete;
  DeviceCapture& operator=(const DeviceCapture&) = delete;

  /// Starts the callbacks. Throws DeviceError(open_failed) if the host refuses.
  void start();
  /// Ends the buffer at once and stops the stream on a thread of its own: stopping
  /// waits for PortAudio's callback thread, which waits on the host (ALSA's pulse
  /// plugin asks the server to drop the stream), and a frozen sound server never
  /// answers. The analysis thread must go on to write the call. Idempotent; never throws.
  void stop() noexcept;
  /// Whether the host let go of the stream within `seconds` of stop() (true at once
  /// for a stream never started). Waits; not for real-time threads. Once it has said
  /// no, the destructor waits no longer.
  bool released_within(double seconds) noexcept;
  /// The stream stopped by itself (the device went away, its sound server died):
  /// polls the stream, and ends the buffer when it finds it so. Analysis thread.
  bool lost() noexcept;

  CaptureBuffer& buffer() noexcept { return shared_->buffer; }
  const CaptureBuffer& buffer() const noexcept { return shared_->buffer; }
  const InputDevice& device() const noexcept { return device_; }
  /// The latency the host actually gave the stream (seconds).
  double latency_s() const noexcept { return latency_s_; }

 private:
  static int on_audio(const void* input, void* output, unsigned long frames, const void* time_info,
                      unsigned long status, void* user) noexcept;
  static void on_finished(void* user) noexcept;

  // What PortAudio's threads touch, on the heap apart from this object: if the host
  // never releases the stream, it is left to them (leaked on purpose) and the process
  // exits with them still waiting.
  struct Shared {
    Shared(int rate_hz, std::size_t channels, double ring_s) : buffer(rate_hz, channels, ring_s) {}
    CaptureBuffer buffer;
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> finished{false};
  };

  InputDevice device_;
  std::unique_ptr<Shared> shared_;
  void* stream_ = nullptr;  // PaStream*
  double latency_s_ = 0.0;
  bool started_ = false;
  bool gave_up_ = false;  // released_within said no: the destructor does not wait again
  std::future<void> released_;  // the stopping abort's; invalid for a stream never started
};

}  // namespace tw::io
