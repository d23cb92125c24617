#include "support/run_command.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/shared_data.h"
#include "support/text_file.h"
#include "build_paths.h"

extern char** environ;

namespace tw::test {
namespace {

constexpr uid_t kNobody = 65534;

}  // namespace

struct BackgroundCommand::State {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
  std::string out_path, err_path;
  int terminal = -1;  // pty master when stderr is a terminal
  std::thread terminal_reader;
  std::string terminal_text;
  RunOptions options;
  std::chrono::steady_clock::time_point start;
};

BackgroundCommand::BackgroundCommand(const std::string& program, const std::vector<std::string>& arguments,
                                     const RunOptions& options)
    : state_(std::make_unique<State>()) {
  static int counter = 0;
  State& s = *state_;
  s.options = options;
  const std::string base = scratch_dir() + "/cmd-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  s.out_path = base + ".out";
  s.err_path = base + ".err";
  const bool drop = options.unprivileged && ::geteuid() == 0;
  if (drop) {
    // nobody must be able to write the captured output next to it.
    std::filesystem::permissions(scratch_dir(), std::filesystem::perms::all);
  }

  std::string terminal_name;
  if (options.stderr_terminal) {
    s.terminal = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s.terminal < 0 || ::grantpt(s.terminal) != 0 || ::unlockpt(s.terminal) != 0) FAIL("no pseudo-terminal");
    terminal_name = ::ptsname(s.terminal);
  }
  // Everything the child needs is prepared before fork(): between fork and exec
  // only async-signal-safe calls are allowed in a threaded process.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int out_fd = ::open(s.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  const int err_fd = options.stderr_terminal ? ::open(terminal_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)
                                             : ::open(s.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out_fd < 0 || err_fd < 0) FAIL("cannot open the output files for " << program);
  if (drop) {
    (void)::fchown(out_fd, kNobody, kNobody);
    if (!options.stderr_terminal) (void)::fchown(err_fd, kNobody, kNobody);
  }
  s.start = std::chrono::steady_clock::now();
  s.pid = ::fork();
  if (s.pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // The test binary may ignore or block signals; the program starts clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) ::_exit(126);
    ::execve(program.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (s.pid < 0) FAIL("cannot start " << program);
  if (s.terminal >= 0) {
    // Read the terminal as it is written: a full pty would block the program.
    s.terminal_reader = std::thread([&s] {
      char buffer[4096];
      for (;;) {
        const ssize_t n = ::read(s.terminal, buffer, sizeof buffer);
        if (n <= 0) break;  // EIO once the program has closed its end
        s.terminal_text.append(buffer, static_cast<std::size_t>(n));
      }
    });
  }
}

BackgroundCommand::~BackgroundCommand() {
  State& s = *state_;
  if (!s.reaped && s.pid > 0) {
    ::kill(s.pid, SIGKILL);
    ::waitpid(s.pid, &s.status, 0);
  }
  if (s.terminal_reader.joinable()) s.terminal_reader.join();
  if (s.terminal >= 0) ::close(s.terminal);
}

pid_t BackgroundCommand::pid() const noexcept { return state_->pid; }

bool BackgroundCommand::running() {
  State& s = *state_;
  if (s.reaped) return false;
  if (::waitpid(s.pid, &s.status, WNOHANG) == s.pid) s.reaped = true;
  return !s.reaped;
}

void BackgroundCommand::send(int signal_number) {
  if (running()) ::kill(state_->pid, signal_number);
}

CommandResult BackgroundCommand::wait() {
  State& s = *state_;
  CommandResult result;
  while (running()) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count();
    if (elapsed > s.options.timeout_s) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &s.status, 0);
      s.reaped = true;
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.terminal_reader.joinable()) s.terminal_reader.join();
  result.exit_code = WIFEXITED(s.status) ? WEXITSTATUS(s.status) : 128 + WTERMSIG(s.status);
  result.out = read_text(s.out_path);
  result.err = s.options.stderr_terminal ? s.terminal_text : read_text(s.err_path);
  return result;
}

CommandResult run_command(const std::string& program, const std::vector<std::string>& arguments,
                          const RunOptions& options) {
  BackgroundCommand command(program, arguments, options);
  return command.wait();
}

std::string tonewatch_binary() {
  const std::string path = tw::build::binary_dir() + "/tonewatch";
  if (!std::filesystem::exists(path)) FAIL("tonewatch binary not built at " << path);
  return path;
}

}  // namespace tw::test
