#pragma once
// Runs a command-line tool (sox) from the tools, without a shell.

#include <string>
#include <vector>

namespace tw::tools {

/// Runs argv[0] (looked up on PATH) with its arguments; its stdout is discarded
/// and its stderr written to `stderr_path`. Returns the exit status, or -1 when it
/// could not be started.
int run_program(const std::vector<std::string>& argv, const std::string& stderr_path);

/// Runs sox with `arguments`; throws std::runtime_error quoting sox's own message
/// when it fails, or saying how to install it when it is missing.
void run_sox(const std::vector<std::string>& arguments, const std::string& scratch_dir);

}  // namespace tw::tools
