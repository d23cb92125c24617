#pragma once
// Composes the evaluation suite's calls, puts each through every line condition,
// analyses it with the product's per-call pipeline and scores the events.

#include <string>
#include <vector>

#include "batch/call_job.h"
#include "tools/call_composer.h"
#include "tools/call_evaluation.h"
#include "tools/call_suite.h"
#include "tools/emodb_catalog.h"
#include "tools/line_conditions.h"

namespace tw::tools {

struct SuiteRunOptions {
  /// Where each call goes through the product's batch path (its audio as a float
  /// WAV, its truth, the product's outputs), one folder per condition and call.
  /// Empty: calls are analysed in memory through the same CallSession, nothing written.
  std::string output_dir;
  batch::CallJobOptions job;   ///< model, detection config and channel layout (job.output.dir is ignored)
  TruthRules rules;
  unsigned jobs = 1;           ///< calls composed and analysed in parallel
  std::vector<LineCondition> conditions{LineCondition::ulaw};
  UtteranceCache* cache = nullptr;  ///< shared prepared utterances (optional)
};

struct SuiteCallResult {
  std::string name, scenario;
  LineCondition condition = LineCondition::ulaw;
  bool calm = false;
  std::vector<ExpectedEvent> expected;
  std::vector<alerts::Event> events;
  CallScore score;
  std::string error;  ///< non-empty if composing or analysing failed
};

/// Runs every call of the suite under every condition (one composition per call
/// and band, the conditions applied to copies). The catalog must already hold any
/// external recordings the scripts name (EmodbCatalog::add_recording).
std::vector<SuiteCallResult> run_suite(const std::vector<SuiteCall>& suite, const EmodbCatalog& catalog,
                                       const SuiteRunOptions& options);

/// A readable report: per call (misses and false alarms), per category, totals.
std::string describe_suite(const std::vector<SuiteCallResult>& results);

/// Pooled figures of one condition.
struct ConditionScore {
  LineCondition condition = LineCondition::ulaw;
  int calls = 0;
  SuiteScore pooled;
  /// Calm calls, and those with any caller-agitation event or alert.
  int calm_calls = 0;
  int calm_calls_with_caller_agitation = 0;
  /// Median latency with every category measured from its truth onset (dead air,
  /// pace and monotone past their own sustain thresholds, as TruthRules says).
  double median_latency_s = 0.0;
};
std::vector<ConditionScore> score_conditions(const std::vector<SuiteCallResult>& results);

/// The per-condition table against the targets (recall >= 0.9, precision >= 0.9,
/// median onset latency <= 3 s, no caller agitation on calm calls), and the
/// per-category recall of each condition.
std::string describe_conditions(const std::vector<ConditionScore>& scores);

/// One scenario under one condition: its calls, those whose every must-detect event
/// was found ("caught"), and those with any supervisor alert or any caller-agitation
/// event ("flagged": what counts for a calm scenario).
struct ScenarioTally {
  std::string scenario;
  LineCondition condition = LineCondition::ulaw;
  bool calm = false;
  int calls = 0, caught = 0, flagged = 0;
};
/// Per scenario (in the order first met) and per condition (in kAllLineConditions'
/// order); calls that failed to compose or analyse are left out.
std::vector<ScenarioTally> tally_scenarios(const std::vector<SuiteCallResult>& results);

/// The tallies as a table: caught per scenario and condition, flagged for calm scenarios.
std::string describe_scenarios(const std::vector<SuiteCallResult>& results);

}  // namespace tw::tools
