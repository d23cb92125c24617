#pragma once
// Many recorded calls in parallel, with progress and a failure list.

#include <string>
#include <vector>

#include "batch/call_job.h"

namespace tw::batch {

struct BatchOptions {
  CallJobOptions job;
  unsigned jobs = 0;        ///< worker threads; 0 = all cores
  bool force = false;       ///< re-analyse calls whose summary already exists
  bool show_progress = true;  ///< a progress line on stderr (only when it is a terminal)
};

/// Call ids for input files: the file stem, made unique with -2, -3, ... when
/// two inputs share one (deterministic in input order).
std::vector<std::string> make_call_ids(const std::vector<std::string>& inputs);

/// Analyses every input, `jobs` at a time; results come back in input order.
/// Calls already done (summary present) are skipped unless force.
std::vector<CallResult> run_batch(const std::vector<std::string>& inputs, const BatchOptions& options);

}  // namespace tw::batch
