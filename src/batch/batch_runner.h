#pragma once
// Many recorded calls in parallel, with progress, resume and a failure list.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "batch/call_ids.h"
#include "batch/call_job.h"
#include "batch/input_identity.h"

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

class OutputFolder;

/// One batch run's bookkeeping, apart from who analyses its calls: plans the
/// inputs (each file once, call ids, the calls done already), takes the output
/// folder and records the run in its manifest; then takes each call's result and
/// records the run's end. run_batch drives one with threads on this machine; the
/// Python API's Dask driver (python/tonewatch/dask.py) with tasks on a cluster,
/// so both have the same ids, resume, lock and manifest.
class BatchRun {
 public:
  /// One distinct input, in input order.
  struct Call {
    std::size_t input = 0;   ///< index into the inputs
    std::string path;        ///< the input as given
    std::string id;          ///< its call id
    bool done = false;       ///< done before with the same input and fingerprint (and not --force): skipped
    std::string note;        ///< why it is analysed again
  };

  /// Plans, takes the folder (OutputFolderError when it cannot be used) and
  /// appends "run started" to the manifest. Throws std::invalid_argument for an
  /// input outside options.root. Keeps `options` by reference.
  BatchRun(const std::vector<std::string>& inputs, const BatchOptions& options);
  ~BatchRun();
  BatchRun(const BatchRun&) = delete;
  BatchRun& operator=(const BatchRun&) = delete;

  /// The calls to go through: every distinct input (the done ones too).
  const std::vector<Call>& calls() const noexcept { return calls_; }
  /// The identity of calls()[k] as planned (for the progress display).
  const InputIdentity& identity(std::size_t k) const { return identities_[k]; }
  const std::string& run_id() const noexcept { return outcome_.run_id; }
  /// Temporaries of killed runs removed when the folder was taken.
  const std::vector<std::string>& removed_temporaries() const noexcept { return outcome_.removed_temporaries; }

  /// calls()[k]'s result as a skipped call (call it for a done one).
  CallResult skipped(std::size_t k) const;
  /// Records calls()[k]'s result (its note is added here). Once per call; not thread-safe.
  void record(std::size_t k, CallResult result);
  /// Appends "run finished" (or "run interrupted") with every call's status and
  /// returns the outcome (calls never recorded are "not started"). With
  /// `sweep_temporaries`, the temporaries in the folder go first: for a driver
  /// whose workers may have died mid-call (nothing else writes there by then).
  BatchOutcome finish(bool interrupted, bool sweep_temporaries = false);

 private:
  const BatchOptions& options_;
  std::vector<Call> calls_;
  std::vector<InputIdentity> identities_;
  std::vector<nlohmann::json> done_summaries_;
  std::unique_ptr<OutputFolder> folder_;
  BatchOutcome outcome_;
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
