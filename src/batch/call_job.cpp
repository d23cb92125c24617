#include "batch/call_job.h"

#include <stdexcept>

#include "dsp/stream_spec.h"
#include "io/resampling_source.h"
#include "pipeline/run.h"
#include "report/call_summary.h"

namespace tw::batch {

CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress) {
  CallResult result;
  result.input_path = input_path;
  result.call_id = call_id;
  try {
    if (options.model == nullptr) throw std::logic_error("analyze_call: no agitation model");
    io::AudioFileSource file(input_path, options.source);
    io::ResamplingSource source(file, dsp::kAnalysisRateHz);
    report::CallOutputs outputs(options.output, call_id);
    pipeline::SessionConfig session_config = options.session;
    // Two identical channels are analysed as one mixed speaker, in a mono file's role.
    session_config.analyzer.merged_role = options.layout.mono;
    pipeline::CallSession session(call_id, session_config, *options.model,
                                  options.layout.roles_for(file.format().channels), outputs.events());
    session.add_tap(outputs.tap());

    std::atomic<std::int64_t> local_progress{0};
    pipeline::run(source, session, nullptr, progress != nullptr ? &progress->frames_done : &local_progress);
    session.finish();

    const io::AudioFormat& format = file.format();
    result.summary = report::make_call_summary(
        call_id, {input_path, format.description, format.sample_rate_hz, format.channels}, session.frames(),
        session.reports());
    report::add_detection_summary(session.timeline(), result.summary);
    outputs.commit(session.timeline(), result.summary);
    result.status = CallResult::Status::analysed;
  } catch (const std::exception& e) {
    result.status = CallResult::Status::failed;
    result.error = e.what();
  }
  return result;
}

}  // namespace tw::batch
