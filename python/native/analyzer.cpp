#include "analyzer.h"

#include <stdexcept>

#include "batch/call_ids.h"
#include "dsp/stream_spec.h"
#include "io/path_text.h"
#include "io/resampling_source.h"
#include "memory_source.h"
#include "pipeline/run.h"

namespace tw::python {
namespace {

report::InputDescription memory_input(int sample_rate_hz, int channels) {
  return {kMemoryInputPath, kMemoryInputFormat, sample_rate_hz, channels, nlohmann::json::object()};
}

}  // namespace

void check_sample_rate(int sample_rate_hz) {
  // The range files are read at (io::FileSourceOptions).
  if (sample_rate_hz < 8000 || sample_rate_hz > 48000) {
    throw std::invalid_argument("sample_rate " + std::to_string(sample_rate_hz) + " Hz is not in 8000-48000");
  }
}

void check_call_id(const std::string& call_id) {
  bool safe = !call_id.empty() && call_id.size() <= batch::kMaxCallIdBytes && call_id.front() != '.';
  for (std::size_t start = 0; safe && start <= call_id.size();) {
    const std::size_t end = std::min(call_id.find('~', start), call_id.size());
    const std::string part = call_id.substr(start, end - start);
    safe = !part.empty() && batch::safe_name(part) == part;
    start = end + 1;
  }
  if (!safe) {
    throw std::invalid_argument("call_id '" + io::escape_invalid_utf8(call_id) +
                                "': it names the output files: letters, digits, '.', '_', '-' (not first: '.'), "
                                "parts joined by '~', at most " + std::to_string(batch::kMaxCallIdBytes) + " bytes");
  }
}

Analyzer::Analyzer(const app::AnalysisChoices& choices) : setup_(app::make_analysis_setup(choices)) {}

FinishedCall Analyzer::analyze_file(const std::string& path, const std::string& call_id, bool frames) const {
  check_call_id(call_id);
  MemoryOutputs outputs(call_id, frames);
  batch::AnalysedRecording analysed = batch::analyse_recording(path, call_id, setup_.job, outputs.tap(), outputs.events());
  return {call_id, std::move(analysed.summary), std::move(analysed.timeline), outputs.tables()};
}

FinishedCall Analyzer::analyze_array(const ArrayAudio& audio, int sample_rate_hz, const std::string& call_id,
                                     bool frames) const {
  check_sample_rate(sample_rate_hz);
  check_call_id(call_id);
  MemorySource memory(audio.samples(), sample_rate_hz, audio.channels(), kMemoryInputFormat);
  io::ResamplingSource source(memory, dsp::kAnalysisRateHz);
  MemoryOutputs outputs(call_id, frames);
  const std::unique_ptr<pipeline::CallSession> session =
      batch::make_call_session(call_id, setup_.job, audio.channels(), outputs.events());
  session->add_tap(outputs.tap());
  pipeline::run(source, *session);
  session->finish();
  nlohmann::json summary = batch::summarise_call(*session, memory_input(sample_rate_hz, audio.channels()), setup_.job);
  return {call_id, std::move(summary), session->timeline(), outputs.tables()};
}

batch::CallResult Analyzer::analyze_call(const std::string& path, const std::string& call_id,
                                         const report::OutputOptions& output) const {
  batch::CallJobOptions job = setup_.job;
  job.output = output;
  return batch::analyze_call(path, call_id, job);
}

StreamSession::StreamSession(const Analyzer& analyzer, int sample_rate_hz, int channels, std::string call_id,
                             bool frames)
    : analyzer_(analyzer),
      sample_rate_hz_(sample_rate_hz),
      channels_(channels),
      outputs_(call_id, frames),
      resampler_((check_sample_rate(sample_rate_hz), sample_rate_hz), dsp::kAnalysisRateHz,
                 static_cast<unsigned>(channels)) {
  if (channels < 1 || channels > 2) throw std::invalid_argument("a session has 1 or 2 channels");
  check_call_id(call_id);
  session_ = batch::make_call_session(call_id, analyzer.job(), channels, outputs_.events());
  session_->add_tap(outputs_.tap());
}

std::vector<std::string> StreamSession::process(const ArrayAudio& block) {
  if (finished_) throw std::invalid_argument("the session is finished: start a new Session for another call");
  if (block.channels() != channels_) {
    throw std::invalid_argument("block has " + std::to_string(block.channels()) + " channel(s); the session was made for " +
                                std::to_string(channels_));
  }
  resampler_.process(block.samples(), [&](std::span<const float> out) { session_->process(out); });
  return outputs_.take_new_events();
}

FinishedCall StreamSession::finish() {
  if (finished_) throw std::invalid_argument("the session is finished already");
  finished_ = true;
  resampler_.flush([&](std::span<const float> out) { session_->process(out); });
  session_->finish();
  nlohmann::json summary =
      batch::summarise_call(*session_, memory_input(sample_rate_hz_, channels_), analyzer_.job());
  return {session_->call_id(), std::move(summary), session_->timeline(), outputs_.tables()};
}

}  // namespace tw::python
