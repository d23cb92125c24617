#pragma once
// Analysing one recorded call into its output files.

#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "detect/agitation_model.h"
#include "io/audio_file_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "report/call_outputs.h"

namespace tw::batch {

struct CallJobOptions {
  report::OutputOptions output;
  pipeline::ChannelLayout layout;
  io::FileSourceOptions source;
  pipeline::SessionConfig session;
  /// Shared, read-only; must be set and outlive the job.
  const detect::AgitationModel* model = nullptr;
};

struct CallResult {
  std::string input_path;
  std::string call_id;
  enum class Status { analysed, skipped, failed } status = Status::failed;
  std::string error;            ///< for failed calls: what went wrong, naming the file
  nlohmann::json summary;       ///< the per-call summary (also for skipped calls, read back)
};

/// Progress shared with the display thread.
struct JobProgress {
  std::atomic<std::int64_t> frames_done{0};
};

/// Decodes, resamples to the analysis rate, analyses through a CallSession and
/// writes the outputs of one call. Never throws: failures are returned with their message.
CallResult analyze_call(const std::string& input_path, const std::string& call_id, const CallJobOptions& options,
                        JobProgress* progress = nullptr);

}  // namespace tw::batch
