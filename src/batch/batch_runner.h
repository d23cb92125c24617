#pragma once
// Many recorded calls in parallel, with progress, resume and a failure list.

#include <atomic>
#include <string>
#include <vector>

#include "batch/call_ids.h"
#include "batch/call_job.h"

namespace tw::batch {

struct BatchOptions {
  CallJobOptions job;
  unsigned jobs = 0;          ///< worker threads; 0 = all cores
  bool force = false;         ///< re-analyse calls that are done
  bool show_progress = true;  ///< a progress line on stderr (only when it is a terminal)
  /// Call ids are paths below this folder; empty: file names, with folders where names repeat (make_call_ids).
  std::string root;
  /// When set (by a SIGINT/SIGTERM handler), no call starts and running calls
  /// are abandoned, leaving no output of theirs.
  const std::atomic<bool>* stop = nullptr;
  /// The command line, for the manifest.
  std::vector<std::string> command_line;
};

/// What a batch did.
struct BatchOutcome {
  std::vector<CallResult> results;  ///< one per input, in input order
  bool interrupted = false;         ///< stop was set before the batch finished
  std::vector<std::string> removed_temporaries;  ///< left by killed runs, removed at the start
  std::string run_id;               ///< as in the manifest
  std::vector<std::string> warnings;  ///< problems that did not stop the run (the manifest could not be finished)
};

/// Analyses every input, `jobs` at a time, into options.job.output.dir, which it
/// creates, locks for the run and records in its manifest (see OutputFolder).
/// Each file is analysed once however often it is given. A call whose outputs
/// are done (check_outputs) is skipped unless force; outputs under a call id
/// that belong to another input are never overwritten: that input's id gets a
/// hash of its path instead. Throws OutputFolderError when the folder cannot be
/// used (nothing is analysed then) and std::invalid_argument for an input
/// outside options.root.
BatchOutcome run_batch(const std::vector<std::string>& inputs, const BatchOptions& options);

}  // namespace tw::batch
