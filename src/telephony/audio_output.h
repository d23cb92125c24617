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

  /// A float buffer of at least `samples`; empty if memory ran out.
  std::span<float> floats(std::size_t samples) noexcept { return grow(floats_, samples); }
  /// A byte buffer of at least `bytes`; empty if memory ran out.
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

  /// Hands `frames` frames of silence to the sink in bounded blocks and counts them as a gap.
  void emit_silence(int track, int channels, std::int64_t first_frame, std::int64_t frames) noexcept {
    if (frames <= 0 || channels <= 0) return;
    ++counters_->gaps;
    counters_->gap_fill_samples += static_cast<std::uint64_t>(frames);
    const std::int64_t block_frames = static_cast<std::int64_t>(kZeros.size()) / channels;
    TrackAudio audio;
    audio.track = track;
    audio.channels = channels;
    audio.filled = true;
    while (frames > 0) {
      const std::int64_t n = frames < block_frames ? frames : block_frames;
      audio.first_sample = first_frame;
      audio.samples = std::span<const float>(kZeros.data(), static_cast<std::size_t>(n * channels));
      sink_->on_audio(audio);
      first_frame += n;
      frames -= n;
    }
  }

  /// Emits a timestamped chunk where the aligner placed it: the gap as silence,
  /// then the chunk minus any overlap. Counts drops. `samples` holds `frames` frames.
  void emit_placed(int track, int channels, const Placement& placement, std::span<const float> samples) noexcept {
    if (placement.kind == Placement::Kind::drop_late) {
      ++counters_->late_chunks_dropped;
      return;
    }
    if (placement.kind != Placement::Kind::accept) return;
    emit_silence(track, channels, placement.first_sample, placement.gap_samples);
    if (placement.skip_samples > 0) {
      counters_->overlap_samples_dropped += static_cast<std::uint64_t>(placement.skip_samples);
      samples = samples.subspan(static_cast<std::size_t>(placement.skip_samples * channels));
    }
    emit(track, channels, placement.first_sample + placement.gap_samples, samples);
  }

 private:
  // Shared, read-only silence: 20 ms of stereo at 48 kHz per block.
  static constexpr std::array<float, 1920> kZeros{};

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

  IngestSink* sink_;
  AdapterCounters* counters_;
  std::vector<float> floats_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace tw::telephony
