#pragma once
// Composes the evaluation suite's calls, analyses each through the product's
// batch path (a µ-law WAV file in, events out) and scores the events.

#include <string>
#include <vector>

#include "batch/call_job.h"
#include "tools/call_evaluation.h"
#include "tools/call_suite.h"
#include "tools/emodb_catalog.h"

namespace tw::tools {

struct SuiteRunOptions {
  std::string output_dir;      ///< composed calls, truths and the product's outputs per call
  batch::CallJobOptions job;   ///< model and detection config for the analysis (job.output.dir is ignored)
  TruthRules rules;
  unsigned jobs = 1;           ///< calls composed and analysed in parallel
};

struct SuiteCallResult {
  std::string name, scenario;
  bool calm = false;
  std::vector<ExpectedEvent> expected;
  std::vector<alerts::Event> events;
  CallScore score;
  std::string error;  ///< non-empty if composing or analysing failed
};

/// Runs every call of the suite. The catalog must already hold any external
/// recordings the scripts name (EmodbCatalog::add_recording).
std::vector<SuiteCallResult> run_suite(const std::vector<SuiteCall>& suite, const EmodbCatalog& catalog,
                                       const SuiteRunOptions& options);

/// A readable report: per call, per category, totals.
std::string describe_suite(const std::vector<SuiteCallResult>& results);

}  // namespace tw::tools
