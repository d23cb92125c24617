#pragma once
// Runs Debian's headless Chromium for tests that render a page ([browser]).
// Header-only so it needs no change to the test support library's source list.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace tw::test {

struct ChromiumRun {
  std::string command;  ///< as a shell would show it, for failure messages
  int exit_code = -1;   ///< -1 if killed (timeout) or ended by a signal
  bool timed_out = false;
  std::string out, err;
};

/// The Chromium binary: $TW_CHROMIUM if set, else `chromium` (Debian) or
/// `chromium-browser` on PATH; empty when none is installed.
inline std::string find_chromium() {
  std::vector<std::string> candidates;
  if (const char* override_path = std::getenv("TW_CHROMIUM"); override_path != nullptr && *override_path != '\0') {
    candidates.emplace_back(override_path);
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser"}) {
    std::size_t start = 0;
    while (start <= dirs.size()) {
      const std::size_t end = dirs.find(':', start);
      const std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!dir.empty()) candidates.push_back(dir + "/" + name);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const std::string& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return {};
}

/// find_chromium(), failing the running test with a clear message when none is
/// installed: a browser test never passes silently.
inline std::string chromium_binary() {
  std::string found = find_chromium();
  if (found.empty()) {
    FAIL("headless Chromium is not installed (needed by the [browser] tests to render the HTML report): "
         "apt-get install chromium (tools/install-deps.sh installs it), or set TW_CHROMIUM to the binary");
  }
  return found;
}

/// For tests that need a browser and nothing else can stand in for: when Chromium
/// is not installed, the test says so and ends (ctest reports it as skipped, by
/// the message; see tests/CMakeLists.txt). Only then: a browser that fails to
/// start or a page that fails still fails the test.
#define TW_SKIP_WITHOUT_CHROMIUM()                                                                   \
  do {                                                                                               \
    if (::tw::test::find_chromium().empty()) {                                                       \
      WARN("SKIPPED: headless Chromium is not installed (apt-get install chromium, or "              \
           "tools/install-deps.sh --tests; TW_CHROMIUM names another binary)");                      \
      return;                                                                                        \
    }                                                                                                \
  } while (false)

/// The flags every headless run needs on a locked-down machine: no sandbox (runs
/// as root in CI containers), no GPU, and no background networking, component
/// updates or sync (their refused connections otherwise stall or fail the run).
/// `profile_dir` must be a fresh directory.
inline std::vector<std::string> chromium_base_flags(const std::string& profile_dir) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile_dir,
          "--enable-logging=stderr",
          "--v=0"};
}

/// Runs `binary arguments...` (no shell) in its own process group, capturing
/// stdout and stderr; kills the whole group after `timeout_s`.
inline ChromiumRun run_chromium(const std::string& binary, const std::vector<std::string>& arguments,
                                double timeout_s = 60.0) {
  ChromiumRun run;
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  for (const std::string& a : argv_strings) run.command += (run.command.empty() ? "" : " ") + a;

  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) FAIL("cannot create pipes for '" << run.command << "': " << std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) FAIL("cannot fork for '" << run.command << "': " << std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    std::vector<char*> argv;
    for (std::string& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before any kill
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000.0));
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  bool exited = false;
  int status = 0;
  auto drain_deadline = deadline;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto now = Clock::now();
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // Helper processes may hold the pipes a little longer; do not wait for them forever.
      drain_deadline = std::min(deadline, now + std::chrono::seconds(3));
    }
    if (now >= (exited ? drain_deadline : deadline)) break;
    const int wait_ms = 100;
    const int ready = ::poll(fds, 2, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(fds[k].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[k]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
      }
    }
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  // The pipes can close before the process is reaped.
  while (!exited && Clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
    } else {
      ::usleep(20'000);
    }
  }
  if (!exited) {
    run.timed_out = true;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    ::kill(-pid, SIGKILL);  // leftover helpers of this run only (its own process group)
  }
  if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (run.exit_code == 127 && run.err.empty()) run.err = "exec failed: " + binary;
  return run;
}

}  // namespace tw::test
