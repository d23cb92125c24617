#pragma once
// Runs command-line tools (sox) that tests use to make audio files.

#include <string>
#include <vector>

namespace tw::test {

/// Runs `sox` with the given arguments (no shell). Fails the running test with
/// a clear message if sox is not installed or exits with an error, quoting
/// the command and sox's own message.
void run_sox(const std::vector<std::string>& arguments);

}  // namespace tw::test
