#include "support/external_tools.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tw::test {

namespace {

// Runs `tool` with `arguments`, its stderr kept for the failure message; `missing`
// is what to tell when the tool is not on PATH.
void run_tool(const std::string& tool, const std::vector<std::string>& arguments, const std::string& missing) {
  std::vector<std::string> argv_strings;
  argv_strings.push_back(tool);
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  std::string command;
  for (const auto& a : argv_strings) command += (command.empty() ? "" : " ") + a;

  // The tool's stderr goes to a pipe so a failure can quote it.
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) FAIL("cannot create a pipe for '" << command << "': " << std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) FAIL("cannot fork for '" << command << "': " << std::strerror(errno));
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
    ::close(pipe_fds[0]);
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(tool.c_str(), argv.data());
    ::_exit(127);  // exec failed: the tool is not on PATH
  }
  ::close(pipe_fds[1]);
  std::string messages;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) messages.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    FAIL(missing);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    FAIL("'" << command << "' failed (status " << status << "): " << messages);
  }
}

}  // namespace

void run_sox(const std::vector<std::string>& arguments) {
  run_tool("sox", arguments, "sox is not installed (needed by this test to make audio files): apt-get install sox libsox-fmt-base");
}

void run_ffmpeg(const std::vector<std::string>& arguments) {
  std::vector<std::string> quiet = {"-hide_banner", "-loglevel", "error", "-nostdin", "-y"};
  quiet.insert(quiet.end(), arguments.begin(), arguments.end());
  run_tool("ffmpeg", quiet,
           "ffmpeg is not installed (this test's reference G.722 encoder and decoder): tools/install-deps.sh --tests, "
           "or apt-get install ffmpeg");
}

}  // namespace tw::test
