#pragma once
// Runs a program and captures what it printed, for end-to-end tests of the CLI.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace tw::test {

struct CommandResult {
  int exit_code = -1;      ///< the exit status, or 128 + the signal that ended it
  std::string out;         ///< standard output
  std::string err;         ///< standard error
  bool timed_out = false;  ///< killed (SIGKILL) by the test for taking too long
};

struct RunOptions {
  /// Killed with SIGKILL after this long; the result says timed_out.
  double timeout_s = 300.0;
  /// Standard error is a pseudo-terminal, as for a user at a terminal (isatty(2) is true).
  bool stderr_terminal = false;
  /// Run as the unprivileged user nobody (uid/gid 65534) when the tests run as
  /// root, so that file permission bits apply to it; no change otherwise.
  bool unprivileged = false;
};

/// Runs `program` with `arguments` (no shell), capturing stdout and stderr.
CommandResult run_command(const std::string& program, const std::vector<std::string>& arguments,
                          const RunOptions& options = {});

/// A program running in the background, to be signalled mid-run.
/// Destroying it kills (SIGKILL) and reaps the process if it still runs.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::string& program, const std::vector<std::string>& arguments,
                    const RunOptions& options = {});
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  pid_t pid() const noexcept;
  /// True while the process has not ended (reaps it when it has).
  bool running();
  /// Sends `signal_number` to the process.
  void send(int signal_number);
  /// Waits for the end (at most options.timeout_s, then SIGKILL) and collects the output.
  CommandResult wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The tonewatch executable of this build.
std::string tonewatch_binary();

}  // namespace tw::test
