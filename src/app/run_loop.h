#pragma once
// The single driver that serves batch, live and benchmark: they differ only in
// the source and the sink.

#include <atomic>
#include <cstdint>

#include "app/call_analyzer.h"
#include "io/audio_source.h"

namespace tw::app {

/// Pulls audio from `source` (already at the analysis rate, channel count equal
/// to the analyzer's) until it ends or `stop` is set, then finishes the
/// analyzer (CallAnalyzer::finish); returns frames analysed.
/// `progress_frames`, when given, is updated after every block for progress display.
std::int64_t run(io::AudioSource& source, CallAnalyzer& analyzer, FeatureSink& sink,
                 const std::atomic<bool>* stop = nullptr, std::atomic<std::int64_t>* progress_frames = nullptr);

}  // namespace tw::app
