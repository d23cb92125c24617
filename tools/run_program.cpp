#include "tools/run_program.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace tw::tools {

int run_program(const std::vector<std::string>& argv, const std::string& stderr_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void run_sox(const std::vector<std::string>& arguments, const std::string& scratch_dir) {
  static std::atomic<unsigned> counter{0};
  const std::string err = (std::filesystem::path(scratch_dir) /
                           ("sox-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".stderr"))
                              .string();
  std::vector<std::string> argv = {"sox"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const int status = run_program(argv, err);
  std::string message;
  {
    std::ifstream e(err);
    std::getline(e, message, '\0');
  }
  std::error_code ignored;
  std::filesystem::remove(err, ignored);
  if (status == -1 || status == 127) throw std::runtime_error("cannot run sox: install it (apt-get install sox)");
  if (status != 0) {
    std::string command = "sox";
    for (const auto& a : arguments) command += " " + a;
    throw std::runtime_error(command + " failed (exit " + std::to_string(status) + "): " + message);
  }
}

}  // namespace tw::tools
