#pragma once
// `tonewatch analyze`: batch analysis of recorded calls.

#include <CLI/CLI.hpp>

#include <ostream>
#include <vector>

#include "app/analysis_setup.h"
#include "batch/batch_runner.h"

namespace tw::app {

/// Registers the subcommand on `app`; the returned callback runs it and gives the exit code.
struct AnalyzeCommand {
  std::vector<std::string> inputs;
  batch::BatchOptions options;
  std::string format = "csv";
  /// --channels, --mono-role, --raw*, --config, --model: what make_analysis_setup reads.
  AnalysisChoices choices;
  bool no_progress = false;
  std::string root;

  CLI::App* add_to(CLI::App& app);
  /// Runs the batch; prints the summary table to `out` and failures to `err`.
  /// Returns the exit status: 0 when every call was analysed (or was done
  /// already), 1 when any failed, 2 for a configuration error or an output
  /// folder that cannot be used (nothing analysed), 128 + the signal number
  /// (130 SIGINT, 143 SIGTERM) when a signal stopped the run.
  /// `command_line` goes into the output folder's manifest.
  int run(std::ostream& out, std::ostream& err, const std::vector<std::string>& command_line = {});
};

/// Exit statuses of `tonewatch`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCallsFailed = 1;
inline constexpr int kExitUsage = 2;

/// The human-readable table printed after a batch.
void print_summary_table(const std::vector<batch::CallResult>& results, std::ostream& out);

}  // namespace tw::app
