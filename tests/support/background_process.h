#pragma once
// A program run in the background for end-to-end tests, with its own environment
// (a test's sound server), its output in files, and signals to end it.

#include <sys/types.h>

#include <string>
#include <vector>

namespace tw::test {

class BackgroundProcess {
 public:
  /// Starts `argv` (argv[0] a path, or a name looked up on PATH) with the test's
  /// environment plus `env` ("NAME=value", overriding). FAILs if it cannot start.
  BackgroundProcess(std::vector<std::string> argv, const std::vector<std::string>& env = {});
  /// Kills it (SIGKILL) if still running.
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Waits until its stderr contains `text`; false if it exits first or after timeout_s.
  bool wait_for_err(const std::string& text, double timeout_s);
  /// Sends a signal.
  void signal(int signal);
  /// Waits for the exit (at most timeout_s, then SIGKILL); returns the exit code
  /// (128 + signal if it died of one).
  int wait(double timeout_s);
  bool running();
  std::string out() const;
  std::string err() const;

 private:
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

/// The environment of this process with `overrides` ("NAME=value") applied.
std::vector<std::string> environment_with(const std::vector<std::string>& overrides);

}  // namespace tw::test
