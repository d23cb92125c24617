#pragma once
// Analysing one recorded call into its output files.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "batch/resume.h"
#include "detect/agitation_model.h"
#include "io/audio_file_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "report/call_outputs.h"
#include "report/call_summary.h"

namespace tw::batch {

struct CallJobOptions {
  report::OutputOptions output;
  pipeline::ChannelLayout layout;
  io::FileSourceOptions source;
  pipeline::SessionConfig session;
  /// Shared, read-only; must be set and outlive the job.
  const detect::AgitationModel* model = nullptr;
  /// Recorded in each summary ("analysis"), so a rerun knows what made it.
  RunFingerprint run;
};

struct CallResult {
  std::string input_path;  ///< as given (any bytes)
  std::string call_id;
  enum class Status {
    analysed,     ///< analysed in this run, outputs written
    skipped,      ///< done before with the same input, tonewatch, model and settings
    failed,       ///< could not be analysed: see error; no outputs written
    interrupted,  ///< abandoned on SIGINT/SIGTERM; no outputs written
    not_started,  ///< the run stopped before reaching it
    duplicate,    ///< the same file as an earlier input: analysed once, there
  } status = Status::not_started;
  std::string error;       ///< for failed calls: what went wrong, naming the file (valid UTF-8)
  std::string note;        ///< why a call was analysed again, or which input it duplicates
  nlohmann::json summary;  ///< the per-call summary (also for skipped calls, read back)
};

/// Short name of a status ("analysed", "not started", ...).
const char* to_string(CallResult::Status status) noexcept;

/// Progress shared with the display thread.
struct JobProgress {
  std::atomic<std::int64_t> frames_done{0};
};

/// The CallSession analyze runs for a source of `channels` channels: roles from
/// options.layout, two identical channels analysed as one speaker in the mono
/// role. `events` must outlive it.
std::unique_ptr<pipeline::CallSession> make_call_session(const std::string& call_id, const CallJobOptions& options,
                                                         int channels, alerts::EventSink& events);

/// The summary analyze writes for a finished session: the call and its speakers,
/// the non-finite samples the source replaced (when `non_finite` is given;
/// counted at the source's rate), the detection outcome and the run's fingerprint.
nlohmann::json summarise_call(const pipeline::CallSession& session, const report::InputDescription& input,
                              const CallJobOptions& options, const io::NonFiniteGuard* non_finite = nullptr);

/// One recording analysed, not yet written anywhere.
struct AnalysedRecording {
  bool interrupted = false;        ///< `stop` was set: the analysis is incomplete, nothing below is set
  nlohmann::json summary;          ///< the per-call summary, as analyze writes it
  pipeline::CallTimeline timeline; ///< for the reports
};

/// The analysis `analyze` does of one recording, without its files: decodes,
/// resamples to the analysis rate, runs a CallSession (roles from options.layout)
/// whose events go to `events` and whose windows (and hops) go to `tap`, then
/// summarises the call. Batch writes through CallOutputs' tap and sink; the
/// Python API keeps them in memory. Throws io::AudioError (naming the file) or
/// std::exception on failure.
AnalysedRecording analyse_recording(const std::string& input_path, const std::string& call_id,
                                    const CallJobOptions& options, pipeline::FeatureSink& tap,
                                    alerts::EventSink& events, JobProgress* progress = nullptr,
                                    const std::atomic<bool>* stop = nullptr);

/// Decodes, resamples to the analysis rate, analyses through a CallSession and
/// writes the outputs of one call. When `stop` is set mid-call the call is
/// abandoned (status interrupted) and its temporaries removed. Never throws:
/// failures are returned with their message, which names the input.
CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress = nullptr, const std::atomic<bool>* stop = nullptr);

}  // namespace tw::batch
