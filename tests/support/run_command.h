#pragma once
// Runs a program and captures what it printed, for end-to-end tests of the CLI.

#include <string>
#include <vector>

namespace tw::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

/// Runs `program` with `arguments` (no shell), capturing stdout and stderr.
CommandResult run_command(const std::string& program, const std::vector<std::string>& arguments);

/// The tonewatch executable of this build.
std::string tonewatch_binary();

}  // namespace tw::test
