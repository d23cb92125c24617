#pragma once
// The single driver that serves batch, live and benchmark: they differ only in
// the source and the sink.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "io/audio_source.h"
#include "pipeline/call_session.h"

namespace tw::pipeline {

/// Frames run() reads at a time: 160 ms, 16 hops a channel, which CallAnalyzer
/// analyses as two blocks of 8 whose frames fill whole transforms of four
/// (dsp::FrameBatch); 100 ms blocks left a mono call's every third transform half empty.
inline constexpr std::size_t kRunBlockFrames = 1280;

/// Pulls audio from `source` (already at the analysis rate, channel count equal
/// to the session's) into `session` until it ends or `stop` is set; returns the
/// frames analysed. Does not finish the session. `progress_frames`, when given, is
/// updated after every block for progress display.
std::int64_t run(io::AudioSource& source, CallSession& session, const std::atomic<bool>* stop = nullptr,
                 std::atomic<std::int64_t>* progress_frames = nullptr);

}  // namespace tw::pipeline
