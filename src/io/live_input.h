#pragma once
// A live track on its way from whoever produces it (a sound device's callback, a
// network connection, a file played at real-time pace) to the analysis thread. The
// analysis thread only ever polls: it reads what has arrived and learns when the
// track has ended. Implementations: io::CaptureBuffer (devices, --simulate) and
// server::LegInput (network legs).

#include <cstddef>
#include <cstdint>
#include <span>

#include "dsp/stream_gap.h"

namespace tw::io {

/// When a producer last delivered and how many frames it had delivered by then:
/// one point of its clock against the steady clock, for measuring its rate.
struct ClockStamp {
  std::int64_t steady_ns = 0;  ///< std::chrono::steady_clock, nanoseconds
  std::uint64_t frames = 0;    ///< frames delivered up to and including that moment
};

class LiveInput {
 public:
  virtual ~LiveInput() = default;
  virtual int sample_rate_hz() const noexcept = 0;
  /// Interleaved channels of each frame.
  virtual std::size_t channels() const noexcept = 0;
  /// Consumer: reads the whole frames that have arrived, up to out.size() / channels();
  /// returns the frames read (0 when nothing is waiting). Never blocks.
  virtual std::size_t read(std::span<float> out) noexcept = 0;
  /// Whether read_pcm16() gives the frames as they are held (16-bit samples): a
  /// network leg keeps its audio so, and a consumer that also keeps 16-bit samples
  /// (pipeline::TrackJoiner, for a track at the analysis rate) saves converting it to
  /// float and back. Inputs that hold floats (devices) keep the default.
  virtual bool holds_pcm16() const noexcept { return false; }
  /// As read(), in 16-bit samples, where holds_pcm16(); otherwise reads nothing.
  virtual std::size_t read_pcm16(std::span<std::int16_t> out) noexcept {
    (void)out;
    return 0;
  }
  /// True once the track has ended and every frame (and gap) has been read.
  virtual bool drained() const noexcept = 0;
  /// Consumer: a gap (a stretch of the track's time without audio) that comes next,
  /// before any further frame; read() stops short of it. Returns false when the next
  /// thing is audio, or nothing. Inputs that never have gaps (devices) keep the default.
  virtual bool take_gap(dsp::StreamGap& gap) noexcept {
    (void)gap;
    return false;
  }
  /// The latest point of the producer's clock, if it keeps one (a device does; a
  /// network leg, whose sender paces it, does not). Any thread.
  virtual bool clock_stamp(ClockStamp& stamp) const noexcept {
    (void)stamp;
    return false;
  }
};

}  // namespace tw::io
