#include "pipeline/run.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/stream_spec.h"

namespace tw::pipeline {

std::int64_t run(io::AudioSource& source, CallSession& session, const std::atomic<bool>* stop,
                 std::atomic<std::int64_t>* progress_frames) {
  const io::AudioFormat& format = source.format();
  if (format.sample_rate_hz != dsp::kAnalysisRateHz) {
    throw std::logic_error("run: source " + source.name() + " is at " + std::to_string(format.sample_rate_hz) +
                           " Hz, the analyzer needs " + std::to_string(dsp::kAnalysisRateHz) + " Hz");
  }
  if (static_cast<std::size_t>(format.channels) != session.channels()) {
    throw std::logic_error("run: source has " + std::to_string(format.channels) + " channels, session " +
                           std::to_string(session.channels()));
  }
  std::vector<float> block(kRunBlockFrames * session.channels());
  std::int64_t total = 0;
  while (stop == nullptr || !stop->load(std::memory_order_relaxed)) {
    const std::size_t frames = source.read(block);
    if (frames == 0) break;
    session.process(std::span<const float>(block.data(), frames * session.channels()));
    total += static_cast<std::int64_t>(frames);
    if (progress_frames != nullptr) progress_frames->store(total, std::memory_order_relaxed);
  }
  return total;
}

}  // namespace tw::pipeline
