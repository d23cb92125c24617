#pragma once
// Long-running programs for end-to-end tests (Chromium, the stream player) run
// as child processes in their own process groups, their output in files, and are
// always stopped (the group killed) when the test ends, passing or failing.

#include <sys/types.h>

#include <string>
#include <vector>

namespace tw::test {

class ChildProcess {
 public:
  /// Starts `program arguments...` (no shell) with stdout and stderr written to
  /// `log_base`.out and .err. Fails the test if it cannot start.
  ChildProcess(const std::string& program, const std::vector<std::string>& arguments, const std::string& log_base);
  /// Kills the whole process group (SIGKILL) if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();
  /// Sends `signal` to the process, then waits up to `timeout_s` for it to exit;
  /// kills the group if it does not. Returns the exit status (128+signal when
  /// killed by one), or -1 if it had to be killed.
  int stop(int signal, double timeout_s);
  /// Waits up to `timeout_s` for it to exit by itself, then stops it as stop()
  /// does with SIGTERM. Returns the exit status, or -1 if it had to be killed.
  int wait(double timeout_s);
  std::string out() const;
  std::string err() const;
  const std::string& command() const noexcept { return command_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_, err_path_, command_;
};

}  // namespace tw::test
