#pragma once
// Where call audio comes from: files now, devices and network streams later.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tw::io {

struct AudioFormat {
  int sample_rate_hz = 0;
  int channels = 0;
  /// Frames (samples per channel) the source will deliver; -1 when unknown (live).
  std::int64_t frames = -1;
  /// Human-readable description, e.g. "WAV, u-law 8-bit".
  std::string description;
};

/// A source of interleaved float samples in [-1, 1]. The one virtual interface
/// the analysis loop reads from; implementations: files, resampling, devices.
class AudioSource {
 public:
  virtual ~AudioSource() = default;
  virtual const AudioFormat& format() const noexcept = 0;
  /// Fills `interleaved` with up to interleaved.size() / channels frames; returns
  /// the frames delivered, 0 at end of stream. Throws AudioError on failure.
  virtual std::size_t read(std::span<float> interleaved) = 0;
  /// A name for messages (file path, device name, peer address).
  virtual const std::string& name() const noexcept = 0;
};

}  // namespace tw::io
