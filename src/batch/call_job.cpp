#include "batch/call_job.h"

#include <stdexcept>

#include "batch/input_identity.h"
#include "dsp/stream_spec.h"
#include "io/audio_error.h"
#include "io/path_text.h"
#include "io/resampling_source.h"
#include "pipeline/run.h"
#include "report/call_summary.h"

namespace tw::batch {

const char* to_string(CallResult::Status status) noexcept {
  switch (status) {
    case CallResult::Status::analysed: return "analysed";
    case CallResult::Status::skipped: return "skipped";
    case CallResult::Status::failed: return "failed";
    case CallResult::Status::interrupted: return "interrupted";
    case CallResult::Status::not_started: return "not started";
    case CallResult::Status::duplicate: return "duplicate";
  }
  return "?";
}

CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress, const std::atomic<bool>* stop) {
  CallResult result;
  result.input_path = input_path;
  result.call_id = call_id;
  try {
    if (options.model == nullptr) throw std::logic_error("analyze_call: no agitation model");
    // Taken before reading: if the file changes while it is analysed, the next
    // run sees a different identity and analyses it again.
    const InputIdentity identity = identify_input(input_path);
    io::AudioFileSource file(input_path, options.source);
    io::ResamplingSource source(file, dsp::kAnalysisRateHz);
    report::CallOutputs outputs(options.output, call_id);
    const std::vector<features::SpeakerRole> roles = options.layout.roles_for(file.format().channels);
    pipeline::CallSession session(call_id, options.session, *options.model, roles, outputs.events());
    session.add_tap(outputs.tap());

    std::atomic<std::int64_t> local_progress{0};
    pipeline::run(source, session, stop, progress != nullptr ? &progress->frames_done : &local_progress);
    if (stop != nullptr && stop->load()) {
      result.status = CallResult::Status::interrupted;
      return result;  // `outputs` goes without commit(): its temporaries are removed
    }
    session.finish();

    const io::AudioFormat& format = file.format();
    report::InputDescription input{identity.path, format.description, format.sample_rate_hz, format.channels};
    input.extra = identity_json(identity);
    result.summary = report::make_call_summary(call_id, input, session.frames(), session.reports());
    report::add_non_finite_samples(file.non_finite(), format.sample_rate_hz, roles, result.summary);
    report::add_detection_summary(session.timeline(), result.summary);
    result.summary["analysis"] = options.run.summary_json();
    outputs.commit(session.timeline(), result.summary);
    result.status = CallResult::Status::analysed;
  } catch (const io::AudioError& e) {
    result.status = CallResult::Status::failed;
    result.error = io::escape_invalid_utf8(e.what());  // names the file already
  } catch (const std::exception& e) {
    result.status = CallResult::Status::failed;
    result.error = io::escape_invalid_utf8(input_path) + ": " + io::escape_invalid_utf8(e.what());
  }
  if (result.status == CallResult::Status::failed) result.summary = nullptr;
  return result;
}

}  // namespace tw::batch
