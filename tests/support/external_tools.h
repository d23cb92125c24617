#pragma once
// Runs command-line tools (sox, ffmpeg) that tests use to make audio files.

#include <string>
#include <vector>

namespace tw::test {

/// Runs `sox` with the given arguments (no shell). Fails the running test with
/// a clear message if sox is not installed or exits with an error, quoting
/// the command and sox's own message.
void run_sox(const std::vector<std::string>& arguments);

/// Runs `ffmpeg` with the given arguments (no shell), the same way: a missing ffmpeg
/// or an error fails the running test, quoting ffmpeg's message. ffmpeg is a test
/// tool only (the G.722 reference encoder and decoder), installed by
/// tools/install-deps.sh --tests.
void run_ffmpeg(const std::vector<std::string>& arguments);

}  // namespace tw::test
