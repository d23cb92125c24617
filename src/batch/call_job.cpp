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

std::unique_ptr<pipeline::CallSession> make_call_session(const std::string& call_id, const CallJobOptions& options,
                                                         int channels, alerts::EventSink& events) {
  if (options.model == nullptr) throw std::logic_error("make_call_session: no agitation model");
  pipeline::SessionConfig session_config = options.session;
  // Two identical channels are analysed as one mixed speaker, in a mono file's role.
  session_config.analyzer.merged_role = options.layout.mono;
  return std::make_unique<pipeline::CallSession>(call_id, session_config, *options.model,
                                                 options.layout.roles_for(channels), events);
}

nlohmann::json summarise_call(const pipeline::CallSession& session, const report::InputDescription& input,
                              const CallJobOptions& options, const io::NonFiniteGuard* non_finite) {
  nlohmann::json summary = report::make_call_summary(session.call_id(), input, session.frames(), session.reports());
  if (non_finite != nullptr) {
    report::add_non_finite_samples(*non_finite, input.sample_rate_hz, session.roles(), summary);
  }
  report::add_detection_summary(session.timeline(), summary);
  summary["analysis"] = options.run.summary_json();
  return summary;
}

AnalysedRecording analyse_recording(const std::string& input_path, const std::string& call_id,
                                    const CallJobOptions& options, pipeline::FeatureSink& tap,
                                    alerts::EventSink& events, JobProgress* progress, const std::atomic<bool>* stop) {
  // Taken before reading: if the file changes while it is analysed, the next
  // run sees a different identity and analyses it again.
  const InputIdentity identity = identify_input(input_path);
  io::AudioFileSource file(input_path, options.source);
  io::ResamplingSource source(file, dsp::kAnalysisRateHz);
  const std::unique_ptr<pipeline::CallSession> session =
      make_call_session(call_id, options, file.format().channels, events);
  session->add_tap(tap);

  AnalysedRecording analysed;
  std::atomic<std::int64_t> local_progress{0};
  pipeline::run(source, *session, stop, progress != nullptr ? &progress->frames_done : &local_progress);
  if (stop != nullptr && stop->load()) {
    analysed.interrupted = true;
    return analysed;
  }
  session->finish();

  const io::AudioFormat& format = file.format();
  report::InputDescription input{identity.path, format.description, format.sample_rate_hz, format.channels};
  input.extra = identity_json(identity);
  analysed.summary = summarise_call(*session, input, options, &file.non_finite());
  analysed.timeline = session->timeline();
  return analysed;
}

CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress, const std::atomic<bool>* stop) {
  CallResult result;
  result.input_path = input_path;
  result.call_id = call_id;
  try {
    report::CallOutputs outputs(options.output, call_id);
    AnalysedRecording analysed =
        analyse_recording(input_path, call_id, options, outputs.tap(), outputs.events(), progress, stop);
    if (analysed.interrupted) {
      result.status = CallResult::Status::interrupted;
      return result;  // `outputs` goes without commit(): its temporaries are removed
    }
    outputs.commit(analysed.timeline, analysed.summary);
    result.summary = std::move(analysed.summary);
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
