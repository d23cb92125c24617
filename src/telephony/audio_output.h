#pragma once
// The audio side every adapter shares: bounded grow-only scratch buffers, the
// hand-off of decoded blocks and inserted silence to the sink, and the counters
// that go with them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "dsp/thread_scratch.h"
#include "telephony/ingest_sink.h"
#include "telephony/protocol.h"
#include "telephony/track_aligner.h"

namespace tw::telephony {

/// One per adapter. Buffers grow to the largest message seen (the adapter bounds
/// that by its maximum message size) and never shrink, so the steady state does
/// not allocate.
class AudioOutput {
 public:
  AudioOutput(IngestSink& sink, AdapterCounters& counters) noexcept : sink_(&sink), counters_(&counters) {}

  /// A float buffer of at least `samples`, this thread's; empty if memory ran out.
  /// Every adapter on a network thread shares it: one copy stays in the cache, where
  /// one per connection was cold at every packet (at 750 Twilio calls, a third of
  /// base64_decode's samples under perf were its stores into the connection's own
  /// buffer). So it is valid only until the next floats() on this thread: an adapter
  /// decodes a block into it and hands it to the sink before it returns.
  std::span<float> floats(std::size_t samples) noexcept { return thread_scratch<float, FloatsUse>(samples); }
  /// A byte buffer of at least `bytes`, this thread's, as floats(): for bytes an
  /// adapter decodes within one call (a Twilio payload's base64). Empty if memory ran out.
  std::span<std::uint8_t> scratch_bytes(std::size_t bytes) noexcept {
    return thread_scratch<std::uint8_t, BytesUse>(bytes);
  }
  /// A byte buffer of at least `bytes` of this adapter's own, which keeps its contents
  /// between calls (a message that arrives over several reads); empty if memory ran out.
  std::span<std::uint8_t> bytes(std::size_t bytes) noexcept { return grow(bytes_, bytes); }

  /// Hands a decoded block to the sink and counts it.
  void emit(int track, int channels, std::int64_t first_frame, std::span<const float> samples) noexcept {
    if (samples.empty()) return;
    TrackAudio audio;
    audio.track = track;
    audio.first_sample = first_frame;
    audio.channels = channels;
    audio.samples = samples;
    sink_->on_audio(audio);
    counters_->audio_samples += static_cast<std::uint64_t>(audio.frames());
  }

  /// Hands a gap of `frames` frames to the sink as one TrackGap (its length, not
  /// samples: constant cost for any length) and counts it.
  void emit_gap(int track, std::int64_t first_frame, std::int64_t frames, dsp::GapKind kind) noexcept {
    if (frames <= 0) return;
    ++counters_->gaps;
    (dsp::declared(kind) ? counters_->paused_samples : counters_->gap_fill_samples) += static_cast<std::uint64_t>(frames);
    sink_->on_gap(TrackGap{track, first_frame, frames, kind});
  }

  /// Emits a timestamped chunk where the aligner placed it: the hole before it as a lost gap,
  /// then the chunk minus any overlap. Counts drops. `samples` holds `frames` frames.
  void emit_placed(int track, int channels, const Placement& placement, std::span<const float> samples) noexcept {
    if (placement.kind == Placement::Kind::drop_late) {
      ++counters_->late_chunks_dropped;
      return;
    }
    if (placement.kind != Placement::Kind::accept) return;
    emit_gap(track, placement.first_sample, placement.gap_samples, dsp::GapKind::lost);
    if (placement.skip_samples > 0) {
      counters_->overlap_samples_dropped += static_cast<std::uint64_t>(placement.skip_samples);
      samples = samples.subspan(static_cast<std::size_t>(placement.skip_samples * channels));
    }
    emit(track, channels, placement.first_sample + placement.gap_samples, samples);
  }

 private:
  template <class T>
  static std::span<T> grow(std::vector<T>& buffer, std::size_t size) noexcept {
    if (buffer.size() < size) {
      try {
        buffer.resize(size);
      } catch (const std::bad_alloc&) {
        return {};
      }
    }
    return std::span<T>(buffer.data(), size);
  }

  // The thread's buffers are dsp::ThreadScratch's; reserved first, so that running out
  // of memory gives an empty span (the adapter refuses the message) as grow() does.
  struct FloatsUse;
  struct BytesUse;
  template <class T, class Use>
  static std::span<T> thread_scratch(std::size_t size) noexcept {
    try {
      dsp::ThreadScratch<T, Use>::reserve(size);
    } catch (const std::bad_alloc&) {
      return {};
    }
    return dsp::ThreadScratch<T, Use>::get(size);
  }

  IngestSink* sink_;
  AdapterCounters* counters_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace tw::telephony
